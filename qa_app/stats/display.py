"""KPI names and values as people read them (in their language)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from qa_app.i18n import duration, format_number

KPI_LABELS = {
    "aht_seconds": _l("Average handle time"),
    "contacts_per_hour": _l("Contacts per hour"),
    "csat_pct": _l("CSAT"),
    "nps": _l("NPS"),
    "fcr_pct": _l("First contact resolution"),
}


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
        return f"{format_number(value, 1)} %"
    return format_number(value, 1)
