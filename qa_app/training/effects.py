"""What "Did coaching work?" shows for a focus area: the two periods compared, the change
with its 95 % interval as the page shows it, and the words that match it (README "Did
coaching work?").

- **Periods**: as long before the plan's issue as after it. After runs from the issue for
  `FOLLOW_UP_DAYS` (or until now, for a younger plan); before has the same length and ends
  at the issue. Daily statistics use the same number of whole days on each side.
- **Change**: qa_app.stats.evidence computes it: a criterion's mean answer (r × 100,
  "points") after − before, a KPI's ratio of totals after − before, in the KPI's own unit.
- **Words**: the interval's ends are rounded outward (low down, high up) to the digits shown,
  and "better" or "worse" is said only when that whole shown interval lies on one side of
  zero. The shown interval contains the computed one, so an interval that includes zero
  never reads "better" or "worse", and the words never contradict the figures beside them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from qa_app.i18n import format_number, format_signed
from qa_app.stats.evidence import MIN_N, Difference, Verdict

# The unit of each kind of change, and the digits it is shown with.
POINTS = "points"  # a criterion's answers on the 0–100 scale (r × 100)
KPI_UNITS = {
    "aht_seconds": "seconds",
    "contacts_per_hour": "contacts_per_hour",
    "csat_pct": "percentage_points",
    "fcr_pct": "percentage_points",
    "nps": "nps_points",
}
# "Too few to tell", by what is counted (evaluations, or days with figures) and on which side.
TOO_FEW = {
    ("evaluations", "both"): _l(
        "too few evaluations before and after the plan to tell (n = %(before)s and %(after)s)"
    ),
    ("evaluations", "before"): _l("too few evaluations before the plan to tell (n = %(n)s)"),
    ("evaluations", "after"): _l("too few evaluations after the plan to tell (n = %(n)s)"),
    ("days", "both"): _l(
        "too few days with figures before and after the plan to tell (n = %(before)s and %(after)s)"
    ),
    ("days", "before"): _l("too few days with figures before the plan to tell (n = %(n)s)"),
    ("days", "after"): _l("too few days with figures after the plan to tell (n = %(n)s)"),
}
DIGITS = {
    POINTS: 0,
    "seconds": 0,
    "contacts_per_hour": 1,
    "percentage_points": 1,
    "nps_points": 0,
}


@dataclass(frozen=True)
class FollowUpWindow:
    """The periods before and after one plan's issue, of equal length: `length` of time for
    evaluations, `days` whole days for daily statistics."""

    issued_at: datetime
    length: timedelta
    issued_on: date
    days: int

    @property
    def before_from(self) -> datetime:
        """First moment of the period before (inclusive)."""
        return self.issued_at - self.length

    @property
    def after_until(self) -> datetime:
        """End of the period after (exclusive)."""
        return self.issued_at + self.length

    @property
    def first_day(self) -> date:
        """First day of daily statistics before the issue."""
        return self.issued_on - timedelta(days=self.days)

    @property
    def end_day(self) -> date:
        """The day after the last day of daily statistics after the issue (exclusive)."""
        return self.issued_on + timedelta(days=self.days)


def follow_up_window(
    issued_at: datetime, issued_on: date, *, now: datetime, today: date, days: int
) -> FollowUpWindow:
    """`days` on each side of the issue, or as long as the plan is old when that is less:
    up to now for evaluations, up to yesterday for daily statistics (today's are not in)."""
    length = max(timedelta(0), min(timedelta(days=days), now - issued_at))
    whole_days = max(0, min(days, (today - issued_on).days))
    return FollowUpWindow(issued_at, length, issued_on, whole_days)


@dataclass(frozen=True)
class ShownEffect:
    """A change as the page shows it: the estimate rounded, the interval rounded outward,
    the verdict those shown figures allow, the n of each side, and the unit."""

    verdict: Verdict
    change: float | None
    low: float | None
    high: float | None
    n_before: int
    n_after: int
    unit: str

    @property
    def digits(self) -> int:
        """Decimals shown for this unit."""
        return DIGITS[self.unit]


def _outward(low: float, high: float, digits: int) -> tuple[float, float]:
    scale = 10**digits
    # round(…, 9) first, so that 2.3 × 10 = 22.999999999999996 is 23, not 22.
    return (
        math.floor(round(low * scale, 9)) / scale,
        math.ceil(round(high * scale, 9)) / scale,
    )


def shown_effect(
    difference: Difference, unit: str, *, lower_is_better: bool = False
) -> ShownEffect:
    """The figures and verdict shown for a difference in `unit` (for a KPI where lower is
    better, such as handle time, a fall is "better")."""
    n_before, n_after = difference.n_before, difference.n_after
    if difference.estimate is None or difference.low is None or difference.high is None:
        return ShownEffect(Verdict.TOO_FEW, None, None, None, n_before, n_after, unit)
    digits = DIGITS[unit]
    low, high = _outward(difference.low, difference.high, digits)
    verdict = Difference(difference.estimate, low, high, n_before, n_after, "").verdict
    if lower_is_better:
        verdict = {Verdict.BETTER: Verdict.WORSE, Verdict.WORSE: Verdict.BETTER}.get(
            verdict, verdict
        )
    change = round(difference.estimate, digits)
    return ShownEffect(verdict, change, low, high, n_before, n_after, unit)


def _with_unit(value: float, unit: str, digits: int) -> str:
    signed = format_signed(value, digits)
    shown = round(abs(value), digits)
    # The form agrees with the number as shown. A number with decimals ("1.4") takes the
    # plural in English, German, Finnish and Norwegian; gettext counts whole numbers only,
    # so it is asked for 2 (Polish's own form for fractions, "1,4 punktu", has no slot).
    count = int(shown) if float(shown).is_integer() else 2
    if unit == "seconds":
        return ngettext("%(value)s second", "%(value)s seconds", count, value=signed)
    if unit == "contacts_per_hour":
        return _("%(value)s contacts per hour", value=signed)
    if unit == "percentage_points":
        return ngettext(
            "%(value)s percentage point", "%(value)s percentage points", count, value=signed
        )
    return ngettext("%(value)s point", "%(value)s points", count, value=signed)


def effect_words(effect: ShownEffect) -> str:
    """The plain words for a shown effect, e.g. "better (+11 points, 95 % interval +3 to
    +19)", "no clear change (interval −8 to +14)", "too few evaluations after the plan to
    tell (n = 2)"; numbers in the reader's locale."""
    if effect.verdict == Verdict.TOO_FEW:
        return _too_few_words(effect)
    assert effect.change is not None and effect.low is not None and effect.high is not None
    low = format_signed(effect.low, effect.digits)
    high = format_signed(effect.high, effect.digits)
    if effect.verdict == Verdict.NO_CLEAR_CHANGE:
        return _("no clear change (interval %(low)s to %(high)s)", low=low, high=high)
    change = _with_unit(effect.change, effect.unit, effect.digits)
    if effect.verdict == Verdict.BETTER:
        return _(
            "better (%(change)s, 95 %% interval %(low)s to %(high)s)",
            change=change,
            low=low,
            high=high,
        )
    return _(
        "worse (%(change)s, 95 %% interval %(low)s to %(high)s)",
        change=change,
        low=low,
        high=high,
    )


def _too_few_words(effect: ShownEffect) -> str:
    few_before, few_after = effect.n_before < MIN_N, effect.n_after < MIN_N
    side = "both" if few_before and few_after else "before" if few_before else "after"
    counted = "evaluations" if effect.unit == POINTS else "days"
    return str(TOO_FEW[counted, side]) % {
        "before": format_number(effect.n_before, 0),
        "after": format_number(effect.n_after, 0),
        "n": format_number(effect.n_before if side == "before" else effect.n_after, 0),
    }
