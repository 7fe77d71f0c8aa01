"""Customer outcomes on an interaction: the CSAT answer, the NPS answer, resolved on first
contact (given by the phone or ticket system, a form or the API), and repeat contact
(derived here).

- **CSAT**: the answer's score on its survey's scale (0–100 covers 1–5, 1–10 and 0–100
  surveys) and whether it counts as positive. A score alone counts as positive from
  `CSAT_POSITIVE_FROM` (config, default 4: the top two boxes of the usual 1–5 survey); a
  system that rates in words (Zendesk's Good and Bad) gives the positive flag only.
- **NPS**: 0–10; 0–6 is a detractor, 9–10 a promoter.
- **Repeat contact**: the same customer (the same customer reference, any agent or source)
  contacted the centre again within `REPEAT_CONTACT_DAYS` (config, default 7) after this
  interaction, so the matter was most likely not settled. Unknown (None) without a
  customer reference.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol, TypeVar

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from qa_app.extensions import db
from qa_app.interactions.models import Interaction
from qa_app.uploads.cells import is_blank, parse_decimal, parse_int

OUTCOME_FIELDS = ("csat_score", "csat_positive", "nps_score", "resolved_first_contact")
CSAT_RANGE = (0, 100)
NPS_RANGE = (0, 10)
DETRACTOR_AT_MOST = 6
PROMOTER_FROM = 9
DEFAULT_CSAT_POSITIVE_FROM = 4
DEFAULT_REPEAT_CONTACT_DAYS = 7
LOOKUP_CHUNK = 1000
N = TypeVar("N", int, Decimal)

# Ratings written as words. Zendesk's satisfaction score: Good, Bad (with or without a
# comment); Offered and Unoffered mean that no answer came.
CSAT_WORDS: dict[str, bool | None] = {
    **dict.fromkeys(("good", "good with comment", "good without comment", "satisfied",
                     "positive", "happy"), True),
    **dict.fromkeys(("bad", "bad with comment", "bad without comment", "unsatisfied",
                     "dissatisfied", "not satisfied", "negative", "unhappy"), False),
    **dict.fromkeys(("offered", "unoffered", "not offered", "received", "unrated",
                     "not rated", "no rating", "none", "n/a", "-"), None),
}  # fmt: skip
# Yes and no as phone and ticket systems write them, in the centre's languages too.
YES_WORDS = frozenset({"yes", "y", "true", "1", "resolved", "ja", "j", "tak", "kyllä", "joo"})
NO_WORDS = frozenset({"no", "n", "false", "0", "unresolved", "not resolved", "nein", "nie",
                      "ei", "nei"})  # fmt: skip


def csat_positive_from() -> float:
    """The lowest CSAT score that counts as positive when a file gives the score only."""
    return float(current_app.config.get("CSAT_POSITIVE_FROM", DEFAULT_CSAT_POSITIVE_FROM))


# Why an outcome is refused, told in the reader's language when shown.
NOT_A_RATING = _l("a score or a rating (good, bad) expected")
NOT_A_CSAT = _l("a score (such as 4 on a 1–5 survey) or good/bad expected")
CSAT_OUTSIDE = _l(
    "a CSAT score is between %(low)d and %(high)d", low=CSAT_RANGE[0], high=CSAT_RANGE[1]
)
NOT_YES_NO = _l("yes or no expected")
NOT_AN_NPS = _l("a whole number from 0 to 10 expected")
NPS_OUTSIDE = _l(
    "an NPS answer is between %(low)d and %(high)d", low=NPS_RANGE[0], high=NPS_RANGE[1]
)


def repeat_contact_days() -> int:
    """How many days after an interaction another one of its customer is a repeat contact."""
    return int(current_app.config.get("REPEAT_CONTACT_DAYS", DEFAULT_REPEAT_CONTACT_DAYS))


def read_csat(value: object, positive_from: float) -> tuple[float | None, bool | None]:
    """A CSAT answer as (score, positive): a number on the survey's scale (positive from
    `positive_from`), or a rating word (score None); (None, None) when no answer came.
    ValueError with the reason otherwise."""
    if is_blank(value):
        return None, None
    if isinstance(value, str) and (word := " ".join(value.split()).casefold()) in CSAT_WORDS:
        return None, CSAT_WORDS[word]
    if isinstance(value, bool):
        raise ValueError(NOT_A_RATING)
    score = _number(value, parse_decimal, CSAT_RANGE, NOT_A_CSAT, CSAT_OUTSIDE)
    return float(score), score >= Decimal(str(positive_from))


def read_yes_no(value: object) -> bool | None:
    """Yes or no (None when empty); ValueError naming the words understood otherwise."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    text = " ".join(str(value).split()).casefold()
    if text in YES_WORDS or text in NO_WORDS:
        return text in YES_WORDS
    raise ValueError(NOT_YES_NO)


def read_nps(value: object) -> int | None:
    """An NPS answer, a whole number from 0 to 10 (None when empty); ValueError otherwise."""
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(NOT_AN_NPS)
    return _number(value, parse_int, NPS_RANGE, NOT_AN_NPS, NPS_OUTSIDE)


def _number(
    value: object,
    parse: Callable[[object], N],
    bounds: tuple[int, int],
    unreadable: object,
    outside: object,
) -> N:
    """`value` read by `parse` and within `bounds`; ValueError with `unreadable` or
    `outside` otherwise."""
    try:
        number = parse(value)
    except ValueError:
        raise ValueError(unreadable) from None
    low, high = bounds
    if not low <= number <= high:
        raise ValueError(outside)
    return number


def is_detractor(nps_score: int | None) -> bool | None:
    """Whether an NPS answer is a detractor's (0–6); None when there is no answer."""
    return None if nps_score is None else nps_score <= DETRACTOR_AT_MOST


def nps_group(nps_score: int | None) -> str | None:
    """ "detractor" (0–6), "passive" (7–8) or "promoter" (9–10); None without an answer."""
    if nps_score is None:
        return None
    if nps_score <= DETRACTOR_AT_MOST:
        return "detractor"
    return "promoter" if nps_score >= PROMOTER_FROM else "passive"


class Contact(Protocol):
    """What `repeat_contacts` reads of an interaction (a row of a query will do)."""

    @property
    def id(self) -> int: ...
    @property
    def customer_ref(self) -> str | None: ...
    @property
    def occurred_at(self) -> datetime: ...


def repeat_contacts(
    interactions: Iterable[Contact], days: int | None = None
) -> dict[int, bool | None]:
    """Interaction id → whether its customer contacted the centre again within `days`
    (default `repeat_contact_days()`) after it: any later interaction with the same customer
    reference, of any agent or source, at most `days` later. None without a reference.

    One query per 1,000 customer references, however many interactions are asked about.
    """
    window = timedelta(days=repeat_contact_days() if days is None else days)
    asked = list(interactions)
    found: dict[int, bool | None] = {i.id: None for i in asked if not i.customer_ref}
    by_ref: dict[str, list[Contact]] = defaultdict(list)
    for interaction in asked:
        if interaction.customer_ref:
            by_ref[interaction.customer_ref].append(interaction)
    refs = sorted(by_ref)
    for start in range(0, len(refs), LOOKUP_CHUNK):
        chunk = refs[start : start + LOOKUP_CHUNK]
        earliest = min(i.occurred_at for ref in chunk for i in by_ref[ref])
        latest = max(i.occurred_at for ref in chunk for i in by_ref[ref]) + window
        times: dict[str, list[datetime]] = defaultdict(list)
        rows = db.session.execute(
            sa.select(Interaction.customer_ref, Interaction.occurred_at).where(
                Interaction.customer_ref.in_(chunk),
                Interaction.occurred_at > earliest,
                Interaction.occurred_at <= latest,
            )
        )
        for ref, moment in rows:
            times[str(ref)].append(moment)
        for ref in chunk:
            for interaction in by_ref[ref]:
                start_at, end_at = interaction.occurred_at, interaction.occurred_at + window
                found[interaction.id] = any(start_at < t <= end_at for t in times[ref])
    return found
