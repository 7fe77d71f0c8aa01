"""Audit events and evaluation revisions as changes a person reads: labels instead of keys,
numbers in the reader's locale, one "Empathy: 2 → 4" line per changed field or answer.

Pure: no request, no database. The caller says how to name things (a `Vocabulary`: the
scorecard's criteria, status titles, people's and teams' names, the locale); every page that
shows audit events, and the audit trail's workbook, take their lines from here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from babel.numbers import format_decimal
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext

from qa_app.scoring import iter_criteria

ARROW = "→"
NOTHING = "–"

# What each recorded action means, as a person would say it.
ACTION_LABELS: dict[str, Any] = {
    "evaluation.started": _l("Evaluation started"),
    "calibration.created": _l("Calibration session created"),
    "calibration.scored": _l("Calibration scoring submitted"),
    "calibration.closed": _l("Calibration session closed"),
    "calibration.promoted": _l("Calibration benchmark promoted to an evaluation"),
    "evaluation.saved": _l("Draft saved"),
    "evaluation.submitted": _l("Evaluation submitted"),
    "evaluation.released": _l("Feedback released to the agent"),
    "evaluation.acknowledged": _l("Feedback acknowledged"),
    "evaluation.deleted": _l("Draft deleted"),
    "dispute.raised": _l("Dispute raised"),
    "dispute.rejected": _l("Dispute rejected"),
    "dispute.upheld": _l("Dispute upheld, re-scored"),
    "user.created": _l("User created"),
    "user.updated": _l("User changed"),
    "user.deactivated": _l("User deactivated"),
    "user.reactivated": _l("User reactivated"),
    "user.password_reset": _l("Password reset by an administrator"),
    "user.password_changed": _l("Password changed"),
    "user.anonymised": _l("User anonymised"),
    "auth.signed_in": _l("Signed in"),
    "auth.sign_in_failed": _l("Sign-in failed"),
    "auth.current_password_failed": _l("Wrong current password"),
    "auth.locked": _l("Sign-in locked"),
    "auth.address_locked": _l("Address locked after failed sign-ins"),
    "identity.added": _l("Agent id added"),
    "identity.removed": _l("Agent id removed"),
    "identity.imported": _l("Agent ids imported"),
    "team.created": _l("Team created"),
    "team.updated": _l("Team changed"),
    "kpi_target.saved": _l("KPI target saved"),
    "column_mapping.saved": _l("Column mapping saved"),
    "stats.imported": _l("Statistics imported"),
    "interaction.created": _l("Interaction added"),
    "interactions.imported": _l("Interactions imported"),
    "sample.drawn": _l("Sample drawn"),
    "assignment.reassigned": _l("Assignment reassigned"),
    "scorecard.published": _l("Scorecard published"),
    "scorecard.archived": _l("Scorecard archived"),
    "scorecard.restored": _l("Scorecard restored"),
    "scorecard.draft_started": _l("Scorecard draft started"),
    "scorecard.draft_discarded": _l("Scorecard draft discarded"),
    "training_catalogue.synced": _l("Training catalogue loaded"),
    "training_plan.created": _l("Training plan proposed"),
    "training_plan.item_added": _l("Plan item added"),
    "training_plan.item_changed": _l("Plan item changed"),
    "training_plan.item_removed": _l("Plan item removed"),
    "training_plan.item_moved": _l("Plan item moved"),
    "training_plan.item_status": _l("Plan item status changed"),
    "training_plan.notes_changed": _l("Plan notes changed"),
    "training_plan.issued": _l("Training plan issued"),
    "training_plan.acknowledged": _l("Training plan acknowledged"),
    "training_plan.closed": _l("Training plan closed"),
    "training_plan.discarded": _l("Draft plan discarded"),
    "coaching_session.recorded": _l("Coaching session recorded"),
    "coaching_session.acknowledged": _l("Coaching session acknowledged"),
    "import_profile.saved": _l("Import profile saved"),
    "import_profile.deleted": _l("Import profile deleted"),
    "api_token.created": _l("API token created"),
    "api_token.revoked": _l("API token revoked"),
    "api_token.first_used": _l("API token used for the first time"),
    "export.evaluations": _l("Evaluations exported"),
    "export.feedback": _l("Feedback workbook exported"),
    "export.validity": _l("Criterion validity workbook exported"),
    "export.calibration": _l("Calibration workbook exported"),
    "export.audit_trail": _l("Audit trail exported"),
    "privacy.data_downloaded": _l("Personal data downloaded"),
    "privacy.data_exported": _l("Personal data exported"),
    "demo.seeded": _l("Demo data loaded"),
    "backup.created": _l("Database backed up"),
    "integrity.checked": _l("Integrity check run"),
}

# The kinds of record the trail names (AuditEvent.entity_type).
ENTITY_LABELS: dict[str, Any] = {
    "evaluation": _l("Evaluation"),
    "calibration_session": _l("Calibration session"),
    "user": _l("User"),
    "team": _l("Team"),
    "centre": _l("Whole centre"),
    "training_plan": _l("Training plan"),
    "coaching_session": _l("Coaching session"),
    "scorecard": _l("Scorecard"),
    "interaction": _l("Interaction"),
    "sample": _l("Sample"),
    "assignment": _l("Assignment"),
    "agent_identity": _l("Agent id"),
    "agent_daily_stat": _l("Statistics"),
    "column_mapping": _l("Column mapping"),
    "import_profile": _l("Import profile"),
    "api_token": _l("API token"),
    "export": _l("Export"),
    "client": _l("Client address"),
    "system": _l("System"),
}

# Field names in the events' payloads.
FIELD_LABELS: dict[str, Any] = {
    "score": _l("Score"),
    "raw_score": _l("Score before critical failures"),
    "auto_failed": _l("Critical failure"),
    "passed": _l("Passed"),
    "revision": _l("Revision"),
    "status": _l("Status"),
    "comment": _l("Comment"),
    "note": _l("Note"),
    "criteria": _l("Disputed criteria"),
    "answers": _l("Answers"),
    "overall_comment": _l("Overall comment"),
    "strengths": _l("Strengths"),
    "opportunities": _l("Opportunities"),
    "dispute_id": lazy_pgettext("field label", "Dispute"),
    "interaction_id": _l("Interaction"),
    "version_id": _l("Scorecard version"),
    "agent_id": _l("Agent"),
    "owner_id": _l("Owner"),
    "user_id": _l("User"),
    "team_id": _l("Team"),
    "supervisor_ids": _l("Supervisors"),
    "agent_ids": _l("Agents"),
    "email": _l("E-mail"),
    "display_name": _l("Name"),
    "role": _l("Role"),
    "external_id": _l("External id"),
    "qa_lead": _l("QA lead"),
    "active": _l("Active"),
    "name": _l("Name"),
    "release_mode": _l("Release"),
    "evaluations_per_agent_month": _l("Evaluations per agent and month"),
    "kpi": _l("KPI"),
    "target": _l("Target"),
    "direction": _l("Direction"),
    "weight": _l("Weight"),
    "source": _l("Source"),
    "file": _l("File"),
    "rows": _l("Rows"),
    "agent_days": _l("Agent days"),
    "replaced": _l("Replaced"),
    "period": _l("Period"),
    "from": _l("From"),
    "to": _l("To"),
    "time_zone": _l("Time zone"),
    "scorecard_id": _l("Scorecard"),
    "channel": _l("Channel"),
    "statuses": _l("Statuses"),
    "scope": _l("Scope"),
    "via": _l("Through"),
    "filters": _l("Filters"),
    "new": _l("New"),
    "items": _l("Items"),
    "already_imported": _l("Already imported"),
    "added": _l("Added"),
    "item_id": _l("Plan item"),
    "module_id": _l("Module"),
    "module": _l("Module"),
    "position": _l("Position"),
    "due_on": _l("Due"),
    "coach_notes": _l("Coach's notes"),
    "notes": _l("Notes"),
    "held_on": _l("Held on"),
    "evaluation_ids": _l("Evaluations"),
    "item_ids": _l("Plan items"),
    "prefix": _l("Token prefix"),
    "expires_at": _l("Expires"),
    "per_agent": _l("Per agent"),
    "to_reach": _l("As many as each agent still needs"),
    "half_width": _l("Interval ± points"),
    "max_total": _l("At most, in all"),
    "seed": _l("Seed"),
    "assigned": _l("Assigned"),
    "external_ref": _l("Call or ticket id"),
    "version": _l("Version"),
    "content_hash": _l("Content fingerprint"),
    "from_version": _l("From version"),
    "slug": _l("Scorecard"),
    "address": _l("Address"),
    "sections": _l("Sections"),
    "pseudonym": _l("Pseudonym"),
    "audit_events_redacted": _l("Audit events redacted"),
    "created": _l("Created"),
    "updated": _l("Updated"),
    "deactivated": _l("Deactivated"),
    "kpis_changed": _l("KPI mapping changed"),
    "columns": _l("Columns"),
    "actor_id": _l("Person"),
    "job": _l("Job"),  # the job that did the work (an export, an import, draft plans)
    "action": _l("Action"),
    "entity_type": _l("Record"),
    "entity_id": _l("Record id"),
    "database": _l("Database"),
    "size": _l("Size in bytes"),
    "evaluations": _l("Evaluations"),
    "problems": _l("Mismatches"),
}

# Payload keys that hold a record's id: shown as its name when the vocabulary knows it.
ID_KINDS = {
    "agent_id": "user",
    "owner_id": "user",
    "user_id": "user",
    "actor_id": "user",
    "supervisor_ids": "user",
    "agent_ids": "user",
    "team_id": "team",
    "scorecard_id": "scorecard",
}

# What an agent may read in the history of their own evaluation: the score, the statuses,
# the answers and texts written for them, their own comments and the decisions on their
# disputes. Nothing else (record ids, internal notes, addresses) reaches their page.
AGENT_FIELDS = frozenset(
    {
        "score",
        "raw_score",
        "auto_failed",
        "passed",
        "revision",
        "status",
        "comment",
        "note",
        "criteria",
        "answers",
        "overall_comment",
        "strengths",
        "opportunities",
    }
)
# The drafting before submission, and a deleted draft, are the evaluator's own business.
HIDDEN_FROM_AGENTS = frozenset({"evaluation.started", "evaluation.saved", "evaluation.deleted"})
TEXT_FIELDS = ("overall_comment", "strengths", "opportunities")
SCORE_FIELDS = frozenset({"score", "raw_score"})


@dataclass(frozen=True)
class CriterionName:
    """A criterion as the reader knows it: its label, and its kind for showing values."""

    label: str
    kind: str = "scale"


@dataclass(frozen=True)
class Vocabulary:
    """How to name things in change lines: criteria of the scorecard version, titles of
    coded values (statuses, roles …) by field, names of records by kind and id."""

    locale: str = "en"
    criteria: Mapping[str, CriterionName] = field(default_factory=dict)
    titles: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    names: Mapping[tuple[str, int], str] = field(default_factory=dict)
    # Labels already translated, by key: an export names the same fields a million times.
    # Share one dict between the vocabularies of one page or export (never across locales).
    translated: dict[str, str] = field(default_factory=dict, compare=False)

    def field_label(self, key: str) -> str:
        """A payload field's label in the reader's language, translated once."""
        label = self.translated.get(key)
        if label is None:
            label = self.translated[key] = field_label(key)
        return label

    def criterion_label(self, key: str) -> str:
        """The criterion's label, or its key when the scorecard no longer has it."""
        known = self.criteria.get(key)
        return known.label if known else key


@dataclass(frozen=True)
class ChangeLine:
    """One field's change: its label, and the value before and after (None: not there)."""

    label: str
    before: str | None
    after: str | None

    @property
    def text(self) -> str:
        """ "Empathy: 2 → 4", "Score: 83.3" (set), "Note: – → …" (cleared)."""
        if self.before is None:
            return f"{self.label}: {self.after if self.after is not None else NOTHING}"
        after = self.after if self.after is not None else NOTHING
        return f"{self.label}: {self.before} {ARROW} {after}"


@dataclass(frozen=True)
class AnswerComparison:
    """One row of the comparison of two revisions: a criterion (or the score, or a text)."""

    label: str
    before: str
    after: str
    before_comment: str | None = None
    after_comment: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the value or the comment differs between the two revisions."""
        return (self.before, self.before_comment) != (self.after, self.after_comment)


class RevisionLike(Protocol):
    """What a comparison reads of an EvaluationRevision."""

    score: float | None
    raw_score: float | None
    auto_failed: bool
    content: dict[str, Any]


def criteria_of(definition: Mapping[str, Any]) -> dict[str, CriterionName]:
    """A scorecard version's criteria, in the scorecard's order, for a Vocabulary."""
    return {
        criterion["key"]: CriterionName(
            str(criterion.get("label") or criterion["key"]), str(criterion.get("kind", "scale"))
        )
        for _section, criterion in iter_criteria(definition)
    }


def action_label(action: str) -> str:
    """What the action means ("Dispute upheld, re-scored"); unknown actions read plainly."""
    known = ACTION_LABELS.get(action)
    return str(known) if known is not None else _humanise(action.replace(".", " "))


def entity_label(entity_type: str) -> str:
    """The kind of record ("Training plan")."""
    known = ENTITY_LABELS.get(entity_type)
    return str(known) if known is not None else _humanise(entity_type)


def field_label(key: str) -> str:
    """A payload field's label ("Score before critical failures")."""
    known = FIELD_LABELS.get(key)
    return str(known) if known is not None else _humanise(key)


def _humanise(key: str) -> str:
    words = key.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def yes_no(value: bool) -> str:
    """Yes or No in the reader's language."""
    return str(_l("Yes") if value else _l("No"))


def format_number(value: float, locale: str, digits: int = 2) -> str:
    """A number in the reader's locale, with at most `digits` decimals ("78,85")."""
    return _decimal(value, "#,##0." + "#" * digits if digits else "#,##0", locale)


@functools.lru_cache(maxsize=8192)
def _decimal(value: float, pattern: str, locale: str) -> str:
    """Babel's formatting, remembered: the trail repeats the same scores and counts."""
    return format_decimal(value, format=pattern, locale=locale)


def format_value(key: str, value: Any, vocabulary: Vocabulary) -> str:
    """One payload value as text: titles for coded values, names for ids, numbers in the
    locale (scores with one decimal), Yes/No, lists joined."""
    if value is None or value == "" or value == []:
        return NOTHING
    if isinstance(value, bool):
        return yes_no(value)
    if key in ID_KINDS and isinstance(value, int | list):
        ids = value if isinstance(value, list) else [value]
        return ", ".join(_name(ID_KINDS[key], item, vocabulary) for item in ids) or NOTHING
    if key == "criteria" and isinstance(value, list):
        order = {key: index for index, key in enumerate(vocabulary.criteria)}
        keys = sorted(map(str, value), key=lambda item: order.get(item, len(order)))
        return ", ".join(vocabulary.criterion_label(item) for item in keys)
    if isinstance(value, int | float):
        if key in SCORE_FIELDS:
            return _decimal(value, "#,##0.0", vocabulary.locale)
        return format_number(value, vocabulary.locale)
    if isinstance(value, list):
        return ", ".join(format_value(key, item, vocabulary) for item in value)
    if isinstance(value, dict):
        return "; ".join(
            f"{vocabulary.field_label(name)}: {format_value(name, item, vocabulary)}"
            for name, item in value.items()
        )
    text = str(value)
    return vocabulary.titles.get(key, {}).get(text, text)


def _name(kind: str, record_id: Any, vocabulary: Vocabulary) -> str:
    if not isinstance(record_id, int) or isinstance(record_id, bool):
        return str(record_id)
    return vocabulary.names.get((kind, record_id)) or f"#{record_id}"


def answer_text(value: Any, kind: str, vocabulary: Vocabulary, *, answered: bool = True) -> str:
    """An answer as the reader knows it: Yes/No, the number given, N/A, or not answered."""
    if not answered:
        return str(_l("not answered"))
    if value is None:
        return str(_l("N/A"))
    if kind == "yes_no" or isinstance(value, bool):
        return yes_no(bool(value))
    if isinstance(value, int | float):
        return format_number(value, vocabulary.locale)
    return str(value)


def answer_changes(
    before: Mapping[str, Any], after: Mapping[str, Any], vocabulary: Vocabulary
) -> list[ChangeLine]:
    """One line per criterion whose answer changed, one per changed comment, in the
    scorecard's order ({key: {"value": …, "comment": …}}, a missing key: not answered)."""
    lines = []
    for key in _ordered_keys(before, after, vocabulary.criteria):
        kind = vocabulary.criteria.get(key, CriterionName(key)).kind
        label = vocabulary.criterion_label(key)
        old, new = _answer(before.get(key)), _answer(after.get(key))
        if old[0] != new[0] or old[1] != new[1]:
            lines.append(
                ChangeLine(
                    label,
                    answer_text(old[1], kind, vocabulary, answered=old[0]),
                    answer_text(new[1], kind, vocabulary, answered=new[0]),
                )
            )
        if old[2] != new[2]:
            comment = str(_l("%(criterion)s, comment", criterion=label))
            lines.append(ChangeLine(comment, old[2] or NOTHING, new[2] or NOTHING))
    return lines


def _answer(entry: Any) -> tuple[bool, Any, str | None]:
    """(answered, value, comment) of one stored answer (a dict, or a bare value)."""
    if entry is None:
        return False, None, None
    if isinstance(entry, Mapping):
        if entry.get("na"):
            return True, None, entry.get("comment") or None
        return True, entry.get("value"), entry.get("comment") or None
    return True, entry, None


def _ordered_keys(
    before: Mapping[str, Any], after: Mapping[str, Any], order: Iterable[str]
) -> list[str]:
    keys = [key for key in order if key in before or key in after]
    keys += [key for key in after if key not in keys]
    keys += [key for key in before if key not in keys]
    return keys


def event_changes(
    before: Mapping[str, Any] | None,
    after: Mapping[str, Any] | None,
    vocabulary: Vocabulary,
    *,
    for_agent: bool = False,
) -> list[ChangeLine]:
    """An audit event's payload as change lines: a field in both `before` and `after` as
    "label: old → new" (left out when equal), a field in one of them as its value; nested
    filters one line each; answers one line per criterion. `for_agent` keeps only the
    fields meant for the agent (AGENT_FIELDS)."""
    before, after = before or {}, after or {}
    only_before = not after
    lines: list[ChangeLine] = []
    for key in _ordered_keys(before, after, ()):
        if for_agent and key not in AGENT_FIELDS:
            continue
        old, new = before.get(key), after.get(key)
        if key == "answers":
            old_answers = old if isinstance(old, Mapping) else {}
            new_answers = new if isinstance(new, Mapping) else {}
            if only_before:  # a deleted draft: what it held
                lines += answer_changes({}, old_answers, vocabulary)
            else:
                lines += answer_changes(old_answers, new_answers, vocabulary)
            continue
        if isinstance(new, Mapping) and key not in before:
            lines += [
                ChangeLine(
                    f"{vocabulary.field_label(key)} – {vocabulary.field_label(name)}", None, text
                )
                for name, item in new.items()
                if (text := format_value(name, item, vocabulary)) != NOTHING
            ]
            continue
        label = vocabulary.field_label(key)
        if key in before and key in after:
            if old != new:
                lines.append(
                    ChangeLine(
                        label,
                        format_value(key, old, vocabulary),
                        format_value(key, new, vocabulary),
                    )
                )
        elif key in after:
            text = format_value(key, new, vocabulary)
            if text != NOTHING:  # nothing given: no line
                lines.append(ChangeLine(label, None, text))
        else:
            lines.append(ChangeLine(label, format_value(key, old, vocabulary), None))
    return lines


def visible_to_agent(action: str) -> bool:
    """Whether an event on an agent's own evaluation belongs in the agent's history."""
    return action not in HIDDEN_FROM_AGENTS


def compare_revisions(
    old: RevisionLike, new: RevisionLike, vocabulary: Vocabulary
) -> list[AnswerComparison]:
    """Two revisions of an evaluation answer by answer, in the scorecard's order: the score,
    each criterion (value and comment), then the overall texts."""
    rows = [
        AnswerComparison(
            vocabulary.field_label("score"),
            format_value("score", old.score, vocabulary),
            format_value("score", new.score, vocabulary),
        )
    ]
    if old.auto_failed or new.auto_failed:
        rows.append(
            AnswerComparison(
                vocabulary.field_label("raw_score"),
                format_value("raw_score", old.raw_score, vocabulary),
                format_value("raw_score", new.raw_score, vocabulary),
            )
        )
    old_answers = old.content.get("answers") or {}
    new_answers = new.content.get("answers") or {}
    for key in _ordered_keys(old_answers, new_answers, vocabulary.criteria):
        kind = vocabulary.criteria.get(key, CriterionName(key)).kind
        before, after = _answer(old_answers.get(key)), _answer(new_answers.get(key))
        rows.append(
            AnswerComparison(
                vocabulary.criterion_label(key),
                answer_text(before[1], kind, vocabulary, answered=before[0]),
                answer_text(after[1], kind, vocabulary, answered=after[0]),
                before[2],
                after[2],
            )
        )
    for name in TEXT_FIELDS:
        old_text, new_text = old.content.get(name) or None, new.content.get(name) or None
        if old_text or new_text:
            rows.append(
                AnswerComparison(
                    vocabulary.field_label(name), old_text or NOTHING, new_text or NOTHING
                )
            )
    return rows
