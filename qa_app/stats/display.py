"""KPI names and values as people read them (in their language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qa_app.i18n import duration, format_number, format_share
from qa_app.stats.performance import BELOW_PASS_MARK, CRITICAL_FAILURE

KPI_LABELS = {
    "aht_seconds": _l("Average handle time"),
    "contacts_per_hour": _l("Contacts per hour"),
    "csat_pct": _l("CSAT"),
    "nps": _l("NPS"),
    "fcr_pct": _l("First contact resolution"),
}

# The composite's flags (stats.performance.agent_composite) as people read them.
COMPOSITE_FLAG_LABELS = {
    BELOW_PASS_MARK: _l("QA below the pass mark"),
    CRITICAL_FAILURE: _l("Critical failure in the period"),
}


def composite_flag_label(flag: str) -> str:
    """A composite flag's words."""
    return str(COMPOSITE_FLAG_LABELS.get(flag, flag))


def composite_flags_text(flags: tuple[str, ...] | list[str]) -> str:
    """Every flag of a composite in words, "; " between them; "" without any."""
    return "; ".join(composite_flag_label(flag) for flag in flags)


def kpi_label(key: str) -> str:
    """A KPI's name."""
    return str(KPI_LABELS.get(key, key))


def kpi_value(key: str, value: float | None) -> str:
    """A KPI's value in its unit: m:ss, per hour, %, or an NPS score; "–" for no data."""
    if value is None:
        return "–"
    if key == "aht_seconds":
        return duration(round(value))
    if key == "nps":
        return format_number(value, 0)
    if key.endswith("_pct"):
        return format_share(value / 100, 1)
    return format_number(value, 1)
