"""The fields each kind of import stores, and the names files usually give them.

The generic reading of a file (no preset, no profile) finds each field's column by these
names; presets and import profiles are checked against the fields, and the profile editor
offers them with their labels.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal, get_args

from flask_babel import lazy_gettext as _l

Kind = Literal["statistics", "interactions"]
KINDS: tuple[Kind, ...] = get_args(Kind)

STATISTICS: Mapping[str, tuple[str, ...]] = {
    "agent": ("agent", "agent id", "agent external id", "external id", "login", "agent login",
              "agent email", "email", "user id", "employee id"),
    "day": ("day", "date", "report date", "business date"),
    # Interval exports: the interval's start (a date and time) when there is no date column.
    "interval": ("interval", "interval start", "start time"),
    "channel": ("channel", "media type", "media"),
    "contacts_handled": ("contacts handled", "calls handled", "handled", "contacts",
                         "calls", "handled calls", "interactions handled"),
    "handle_seconds": ("handle seconds", "handle time", "total handle time",
                       "handle time total"),
    "aht_seconds": ("aht", "avg handle time", "average handle time", "aht seconds"),
    "talk_seconds": ("talk seconds", "talk time", "total talk time"),
    "hold_seconds": ("hold seconds", "hold time", "total hold time"),
    "acw_seconds": ("acw seconds", "acw", "after call work", "wrap up", "wrap time",
                    "after call work time"),
    "logged_in_seconds": ("logged in seconds", "logged in time", "staffed time", "login time",
                          "logged in", "staffed"),
    "csat_responses": ("csat responses", "csat surveys", "surveys", "survey responses"),
    "csat_positive": ("csat positive", "satisfied", "csat satisfied"),
    "csat_pct": ("csat", "csat pct", "csat %", "csat percent", "customer satisfaction"),
    # Bad ratings: not stored; with the good ones they make the responses (Zendesk Explore).
    "csat_negative": ("csat negative", "csat bad", "bad ratings", "negative ratings"),
    "nps_responses": ("nps responses", "nps surveys"),
    "nps_promoters": ("nps promoters", "promoters"),
    "nps_detractors": ("nps detractors", "detractors"),
    "nps": ("nps", "net promoter score"),
    "fcr_eligible": ("fcr eligible", "fcr responses", "fcr surveys"),
    "fcr_resolved": ("fcr resolved", "resolved first contact", "fcr yes"),
    "fcr_pct": ("fcr", "fcr pct", "fcr %", "first contact resolution"),
    "transfers": ("transfers", "transferred", "transfer count"),
}  # fmt: skip
INTERACTIONS: Mapping[str, tuple[str, ...]] = {
    "agent": ("agent", "agent id", "agent external id", "external id", "login", "agent login",
              "agent email", "email", "e-mail", "user", "user id"),
    "channel": ("channel", "media type", "media", "contact type", "type"),
    "occurred_at": ("occurred at", "date", "start", "start time", "started", "timestamp",
                    "date time", "datetime", "call start", "created", "created at"),
    "duration": ("duration", "duration seconds", "handle time", "length", "talk time"),
    "external_ref": ("external ref", "external reference", "reference", "call id", "ticket id",
                     "ticket", "interaction id", "conversation id", "contact id", "id"),
    "queue": ("queue", "skill", "skillset", "split", "group"),
    "customer_ref": ("customer ref", "customer", "customer id", "account", "account number"),
    "transcript": ("transcript", "notes", "note", "comment", "comments", "subject",
                   "description"),
    "recording_url": ("recording url", "recording", "recording link", "link", "url"),
    # Customer outcomes (qa_app.interactions.outcomes): the survey answers on this contact.
    "csat_score": ("csat score", "csat", "csat rating", "satisfaction score",
                   "satisfaction rating", "customer satisfaction", "survey score"),
    "csat_positive": ("csat positive", "satisfied", "csat satisfied"),
    "nps_score": ("nps score", "nps", "nps rating", "likelihood to recommend",
                  "recommend score"),
    "resolved_first_contact": ("resolved first contact", "fcr", "first contact resolution",
                               "resolved on first contact", "one touch resolution"),
}  # fmt: skip
FIELD_ALIASES: dict[Kind, Mapping[str, tuple[str, ...]]] = {
    "statistics": STATISTICS,
    "interactions": INTERACTIONS,
}
# The fields a file of each kind must have a column for (statistics: and at least one group
# of figures, which the statistics import checks).
REQUIRED: dict[Kind, tuple[str, ...]] = {
    "statistics": ("agent",),
    "interactions": ("agent", "channel", "occurred_at", "external_ref"),
}
# Statistics: the day, or an interval's start that gives it.
DAY_FIELDS = ("day", "interval")

LABELS = {
    "agent": _l("Agent (identifies the agent)"),
    "day": _l("Day"),
    "interval": _l("Interval start (date and time)"),
    "channel": _l("Channel"),
    "contacts_handled": _l("Contacts handled"),
    "handle_seconds": _l("Handle time (total)"),
    "aht_seconds": _l("Average handle time"),
    "talk_seconds": _l("Talk time (total)"),
    "hold_seconds": _l("Hold time (total)"),
    "acw_seconds": _l("After-contact work (total)"),
    "logged_in_seconds": _l("Logged-in time"),
    "csat_responses": _l("CSAT responses"),
    "csat_positive": _l("CSAT positive responses"),
    "csat_pct": _l("CSAT %"),
    "csat_negative": _l("CSAT negative responses"),
    "nps_responses": _l("NPS responses"),
    "nps_promoters": _l("NPS promoters"),
    "nps_detractors": _l("NPS detractors"),
    "nps": _l("NPS"),
    "fcr_eligible": _l("FCR answers"),
    "fcr_resolved": _l("FCR resolved"),
    "fcr_pct": _l("FCR %"),
    "transfers": _l("Transfers"),
    "occurred_at": _l("Date and time"),
    "duration": _l("Duration"),
    "external_ref": _l("Call or ticket id"),
    "queue": _l("Queue"),
    "customer_ref": _l("Customer reference"),
    "transcript": _l("Notes or transcript"),
    "recording_url": _l("Recording link"),
    "csat_score": _l("CSAT answer (score or good/bad)"),
    "nps_score": _l("NPS answer (0–10)"),
    "resolved_first_contact": _l("Resolved on first contact (yes/no)"),
}
# Where a field means something else in an interaction list: one contact's answer.
INTERACTION_LABELS = {**LABELS, "csat_positive": _l("CSAT answer positive (yes/no)")}


def labels(kind: Kind) -> Mapping[str, object]:
    """Each field's label for files of `kind`."""
    return INTERACTION_LABELS if kind == "interactions" else LABELS
