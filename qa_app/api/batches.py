"""Batches posted to the API: interactions and daily statistics, checked by the very rules
of the file imports (`check_interactions`, `stats.daily_rows`), all or nothing.

The field tables say which JSON fields an item has (and feed the OpenAPI document); the
checks report problems at the item's index (0-based) and the JSON field's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from qa_app.api.payloads import LARGEST_NUMBER, Field
from qa_app.audit.services import record_event
from qa_app.auth.models import User
from qa_app.database import snapshot_read
from qa_app.extensions import db
from qa_app.interactions.importer import (
    TEXT_LIMITS,
    check_interactions,
    existing_ids,
    local_moment,
    new_records,
    record_key,
    settled_options,
)
from qa_app.interactions.models import Interaction
from qa_app.interactions.outcomes import CSAT_RANGE, NPS_RANGE, csat_positive_from
from qa_app.stats.daily_rows import StatsReport, collect_day_totals, save_days
from qa_app.teams.identities import AgentMatches, NameMatch, match_agents
from qa_app.uploads.cells import ReadOptions
from qa_app.uploads.reader import TableError

API_SOURCE = "api"
MAX_INTERACTIONS = 1000
MAX_STAT_ROWS = 10_000
AGENT = "The agent's external id (the phone-system login) or e-mail address."

INTERACTION_FIELDS = (
    Field("agent", "string", AGENT, required=True),
    Field(
        "channel",
        "string",
        "phone, chat, email, in_person or social (the file import's words such as voice, "
        "webchat or e-mail are understood too).",
        required=True,
    ),
    Field(
        "occurred_at",
        "date-time",
        "When the contact started (2026-11-02T10:15:00+01:00; without a zone, in the "
        "centre's time zone).",
        required=True,
    ),
    Field(
        "external_ref",
        "string",
        "The call or ticket id, unique per source and agent: sending it again returns the "
        "stored interaction instead of adding one.",
        required=True,
        max_length=TEXT_LIMITS["external_ref"],
    ),
    Field(
        "source",
        "string",
        f"The system the reference comes from (default '{API_SOURCE}').",
        max_length=40,
    ),
    Field(
        "duration_seconds",
        "integer",
        "Length of the contact in seconds, or as text like the file import reads it "
        '("00:05:12", "5:12", "PT5M12S", "5m 12s").',
        minimum=0,
        maximum=LARGEST_NUMBER,
        text=True,
    ),
    Field("queue", "string", "Queue or skill.", max_length=TEXT_LIMITS["queue"]),
    Field(
        "customer_ref",
        "string",
        "Customer or account reference.",
        max_length=TEXT_LIMITS["customer_ref"],
    ),
    Field("transcript", "string", "Notes or transcript.", max_length=TEXT_LIMITS["transcript"]),
    Field(
        "recording_url",
        "string",
        "An http(s) link to the recording.",
        max_length=TEXT_LIMITS["recording_url"],
    ),
    Field(
        "csat_score",
        "number",
        "The customer's CSAT answer on the survey's scale (0–100 covers 1–5, 1–10 and 0–100 "
        "surveys). Without csat_positive it counts as positive from the centre's "
        "CSAT_POSITIVE_FROM (default 4).",
        minimum=CSAT_RANGE[0],
        maximum=CSAT_RANGE[1],
    ),
    Field(
        "csat_positive",
        "boolean",
        "Whether the CSAT answer counts as positive (alone for surveys rated good or bad).",
    ),
    Field(
        "nps_score",
        "integer",
        "The customer's NPS answer, 0–10 (0–6 a detractor, 9–10 a promoter).",
        minimum=NPS_RANGE[0],
        maximum=NPS_RANGE[1],
    ),
    Field(
        "resolved_first_contact",
        "boolean",
        "Whether the matter was resolved on this first contact.",
    ),
)
# The file import's name for a field whose JSON name differs.
CHECKED_AS = {"duration_seconds": "duration"}
JSON_NAME = {checked: name for name, checked in CHECKED_AS.items()}


def _count(name: str, text: str, required: bool = False) -> Field:
    return Field(
        name, "integer", text, required=required, minimum=0, maximum=LARGEST_NUMBER, text=True
    )


def _amount(name: str, text: str, maximum: float = LARGEST_NUMBER) -> Field:
    return Field(name, "number", text, minimum=0, maximum=maximum, text=True)


AS_TEXT = (
    " Numbers may also be sent as text, read like the file import reads them: "
    '"1,234", "00:05:12", "PT5M12S", "87,5 %".'
)


STAT_FIELDS = (
    Field("agent", "string", AGENT, required=True),
    Field("day", "date", "The day the totals are for (2026-11-02)." + AS_TEXT, required=True),
    Field("channel", "string", "A channel, or 'all' (the default) for the whole day."),
    _count(
        "contacts_handled",
        "Contacts handled (0 for a day without contacts); needed with handle or logged-in "
        "times, left out by a source without contact counts (a survey tool).",
    ),
    _amount("handle_seconds", "Total handle time (talk + hold + after-call work), seconds."),
    _amount(
        "aht_seconds",
        "Average handle time, seconds; turned into a total with the "
        "day's contacts when handle_seconds is not given.",
    ),
    _amount("talk_seconds", "Total talk time, seconds."),
    _amount("hold_seconds", "Total hold time, seconds."),
    _amount("acw_seconds", "Total after-call work, seconds."),
    _amount("logged_in_seconds", "Time logged in (staffed), seconds."),
    _count("csat_responses", "CSAT survey responses."),
    _count("csat_positive", "Satisfied CSAT responses."),
    _amount("csat_pct", "CSAT % (0-100), turned into csat_positive with csat_responses.", 100),
    _count(
        "csat_negative",
        "Dissatisfied CSAT responses (not stored): with csat_positive they make "
        "csat_responses when it is not given, and may not exceed it when it is.",
    ),
    _count("nps_responses", "NPS survey responses."),
    _count("nps_promoters", "NPS promoters."),
    _count("nps_detractors", "NPS detractors."),
    _count("fcr_eligible", "Contacts eligible for first-contact resolution."),
    _count("fcr_resolved", "Contacts resolved at first contact."),
    _amount("fcr_pct", "FCR % (0-100), turned into fcr_resolved with fcr_eligible.", 100),
    _count("transfers", "Transfers."),
)


@dataclass(frozen=True)
class StoredInteraction:
    """The outcome for one posted item: its id, and whether this request created it."""

    id: int | None  # None: not stored (a dry run's new item)
    source: str
    external_ref: str
    created: bool


def store_interactions(
    items: list[dict[str, Any]],
    actor: User,
    warnings: list[NameMatch] | None = None,
    *,
    options: ReadOptions,
    dry_run: bool = False,
) -> list[StoredInteraction]:
    """Check every item, then (unless `dry_run`) insert the new ones; items already stored
    (same source, reference and agent) keep their id. Times are read with `options` like
    the file import reads them. Raises TableError with every problem; nothing is written
    then. Agents matched by display name only are added to `warnings` when it is given."""
    matched: dict[str, AgentMatches] = {}
    rows = [
        (index, {CHECKED_AS.get(k, k): v for k, v in item.items()})
        for index, item in enumerate(items)
    ]
    with snapshot_read(db.session):  # checked without the write lock (SQLite)
        options = settled_options((item.get("occurred_at") for item in items), options,
                                  "occurred_at")  # fmt: skip
        records, problems = check_interactions(
            rows,
            lambda name: JSON_NAME.get(name, name),
            actor,
            read_moment=local_moment(options),
            default_source=API_SOURCE,
            agent_keys=((item.get("source"), item.get("agent")) for item in items),
            unit="item",
            matched=matched,
            positive_from=csat_positive_from(),
        )
        if problems:
            raise TableError(problems)
        if warnings is not None:
            warnings.extend(match for found in matched.values() for match in found.name_matches())
        if dry_run:  # a report only: read in the same snapshot
            stored = existing_ids(record_key(r) for r in records)
            return [
                StoredInteraction(
                    id=stored.get(record_key(r)),
                    source=r["source"],
                    external_ref=r["external_ref"],
                    created=record_key(r) not in stored,
                )
                for r in records
            ]
    new, existing = new_records(records, actor)
    if new:
        db.session.execute(sa.insert(Interaction), new)
        record_event(
            "interactions.imported",
            "interaction",
            None,
            actor_id=actor.id,
            after={
                "via": "api",
                "items": len(records),
                "new": len(new),
                "already_imported": len(records) - len(new),
            },
        )
    ids = existing_ids(record_key(r) for r in records) if new else existing
    return [
        StoredInteraction(
            id=ids[record_key(r)],
            source=r["source"],
            external_ref=r["external_ref"],
            created=record_key(r) not in existing,
        )
        for r in records
    ]


def store_stats(
    items: list[dict[str, Any]], actor: User, *, options: ReadOptions, dry_run: bool
) -> StatsReport:
    """Check every row like the file import (dates and figures read with `options`) and
    (unless `dry_run`) store the agent-days, replacing the API's rows of the same agent-days
    stored before (other sources' stay).
    Raises TableError; nothing is written then."""
    with snapshot_read(db.session):  # checked without the write lock (SQLite)
        options = settled_options((item.get("day") for item in items), options, "day")
        agents = match_agents((item["agent"] for item in items), actor, API_SOURCE)
        days = collect_day_totals(enumerate(items), lambda name: name, agents, options=options)
        if dry_run:
            report = save_days(
                days, rows=len(items), source=API_SOURCE, actor=actor, dry_run=True, origin={}
            )
            report.name_matches = agents.name_matches()
            return report
    report = save_days(
        days,
        rows=len(items),
        source=API_SOURCE,
        actor=actor,
        dry_run=False,
        origin={"via": "api"},
    )
    report.name_matches = agents.name_matches()
    return report
