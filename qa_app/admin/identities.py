"""Agents' ids in each source system (`AgentIdentity`): added one at a time on the admin
pages or in bulk from a CSV/XLSX agent list, removed one at a time; every change audited.

A bulk list is all or nothing: every row is checked (its user, source and id, and against
the stored identities and the list's other rows) and nothing is added unless all are good.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext, ngettext

from qa_app.admin.services import AdminRuleError
from qa_app.audit.services import record_event
from qa_app.auth.models import IDENTITY_LENGTH, SOURCE_NAME_LENGTH, AgentIdentity, Role, User
from qa_app.extensions import db
from qa_app.uploads.cells import is_blank
from qa_app.uploads.columns import header_of, map_columns
from qa_app.uploads.reader import Problem, Problems, TableError, longer_than, read_table

# Source names as the import forms accept them; stored lower-case, compared lower-case.
SOURCE_PATTERN = re.compile(r"^[a-z0-9_. -]+$")
ALIASES: Mapping[str, tuple[str, ...]] = {
    "email": ("e-mail", "email", "agent email", "agent e-mail", "user email"),
    "name": ("name", "display name", "agent name", "agent"),
    "source": ("source", "source system", "system"),
    "external_id": ("external id", "id", "agent id", "login", "user id", "user name"),
}
REQUIRED = ("source", "external_id")


def normalise_source(source: str) -> str:
    """A source name as identities store it: trimmed, lower-case."""
    return source.strip().lower()


def source_problem(source: str) -> str | None:
    """Why `source` (normalised) cannot name a source system, or None."""
    if not source:
        return _("empty")
    if len(source) > SOURCE_NAME_LENGTH:
        return longer_than(SOURCE_NAME_LENGTH)
    if not SOURCE_PATTERN.match(source):
        return _("use letters, digits, spaces, dots, dashes and underscores only")
    return None


def identity_snapshot(identity: AgentIdentity) -> dict[str, object]:
    """The audited fields of an identity."""
    return {
        "user_id": identity.user_id,
        "source": identity.source,
        "external_id": identity.external_id,
    }


def _holder(source: str, external_id: str) -> AgentIdentity | None:
    return db.session.scalar(
        sa.select(AgentIdentity).where(
            AgentIdentity.source == source, AgentIdentity.external_id == external_id
        )
    )


def _held_by(user_id: int, source: str) -> AgentIdentity | None:
    return db.session.scalar(
        sa.select(AgentIdentity).where(
            AgentIdentity.user_id == user_id, AgentIdentity.source == source
        )
    )


def add_identity(user: User, source: str, external_id: str, actor: User) -> AgentIdentity:
    """Give an agent their id in a source system; AdminRuleError says why not."""
    source = normalise_source(source)
    external_id = external_id.strip()
    if user.role != Role.AGENT:
        raise AdminRuleError(_l("Only agents have ids in the phone and ticket systems."))
    if (reason := source_problem(source)) is not None:
        raise AdminRuleError(_l("Source: %(reason)s.", reason=reason))
    if not external_id or len(external_id) > IDENTITY_LENGTH:
        raise AdminRuleError(
            lazy_ngettext(
                "The id must be 1 to %(num)d character long.",
                "The id must be 1 to %(num)d characters long.",
                IDENTITY_LENGTH,
            )
        )
    holder = _holder(source, external_id)
    if holder is not None:
        raise AdminRuleError(
            _l(
                "The %(source)s id %(id)s already belongs to %(name)s.",
                source=source,
                id=external_id,
                name=holder.user.display_name,
            )
        )
    held = _held_by(user.id, source)
    if held is not None:
        raise AdminRuleError(
            _l(
                "%(name)s already has a %(source)s id (%(id)s); remove it first.",
                name=user.display_name,
                source=source,
                id=held.external_id,
            )
        )
    identity = AgentIdentity(
        user_id=user.id, source=source, external_id=external_id, created_by_id=actor.id
    )
    db.session.add(identity)
    db.session.flush()
    record_event(
        "identity.added",
        "agent_identity",
        identity.id,
        actor_id=actor.id,
        after=identity_snapshot(identity),
    )
    return identity


def remove_identity(identity: AgentIdentity, actor: User) -> None:
    """Remove an agent's id in a source system (audited)."""
    record_event(
        "identity.removed",
        "agent_identity",
        identity.id,
        actor_id=actor.id,
        before=identity_snapshot(identity),
    )
    db.session.delete(identity)
    db.session.flush()


@dataclass
class IdentityImportReport:
    """What a bulk list did (or, in a dry run, would do)."""

    rows: int = 0
    added: int = 0
    unchanged: int = 0  # already stored exactly so
    dry_run: bool = False


def import_identities(
    data: bytes,
    filename: str,
    *,
    actor: User,
    max_bytes: int,
    max_rows: int,
    dry_run: bool = False,
) -> IdentityImportReport:
    """Read an agent list (E-mail and/or Name, Source, External ID) and add its identities,
    all or none. Raises TableError with every problem; nothing is written then."""
    table = read_table(data, filename, max_bytes=max_bytes, max_rows=max_rows)
    columns = map_columns(table.headers, ALIASES, required=REQUIRED)
    label = header_of(table, columns)
    if "email" not in columns and "name" not in columns:
        needed = _('the list needs an "E-mail" or a "Name" column to find each agent')
        raise TableError([Problem(None, None, None, needed)])
    agents = list(db.session.scalars(sa.select(User).where(User.role == Role.AGENT)))
    by_email = {each.email: each for each in agents}
    by_name: dict[str, list[User]] = {}
    for each in agents:
        by_name.setdefault(each.display_name, []).append(each)
    stored = {(i.source, i.external_id): i.user_id for i in db.session.scalars(
        sa.select(AgentIdentity))}  # fmt: skip
    stored_by_user = {(user_id, source): ext for (source, ext), user_id in stored.items()}
    problems = Problems()
    wanted: dict[tuple[str, str], tuple[int, User]] = {}  # (source, id) → first row, agent
    wanted_by_user: dict[tuple[int, str], tuple[int, str]] = {}  # (agent, source) → row, id
    report = IdentityImportReport(rows=len(table.rows), dry_run=dry_run)

    def cell(values: list[object], name: str) -> str:
        index = columns.get(name)
        value = None if index is None else values[index]
        return "" if is_blank(value) else str(value).strip()

    for number, values in table.rows:
        found_before = problems.total

        def problem(name: str, value: str, reason: str, _n: int = number) -> None:
            problems.append(Problem.at(_n, label(name), value or None, reason))

        email, name = cell(values, "email").lower(), cell(values, "name")
        source, external_id = normalise_source(cell(values, "source")), cell(values, "external_id")
        agent: User | None = None
        if email:
            agent = by_email.get(email)
            if agent is None:
                problem("email", email, _("no agent has this e-mail"))
        elif name:
            named = by_name.get(name, [])
            if len(named) == 1:
                agent = named[0]
            elif named:
                reason = ngettext(
                    "%(num)d agent is called so; give the e-mail",
                    "%(num)d agents are called so; give the e-mail",
                    len(named),
                )
                problem("name", name, reason)
            else:
                problem("name", name, _("no agent has this name"))
        else:
            problem("email" if "email" in columns else "name", "", _("empty"))
        if (wrong_source := source_problem(source)) is not None:
            problem("source", source, wrong_source)
        if not external_id:
            problem("external_id", "", _("empty"))
        elif len(external_id) > IDENTITY_LENGTH:
            problem("external_id", external_id, longer_than(IDENTITY_LENGTH))
        if agent is None or problems.total > found_before:
            continue
        key = (source, external_id)
        holder = stored.get(key)
        if holder is not None:
            if holder == agent.id:
                report.unchanged += 1
            else:
                reason = _("this %(source)s id belongs to another agent", source=source)
                problem("external_id", external_id, reason)
            continue
        if key in wanted:
            first, first_agent = wanted[key]
            if first_agent.id != agent.id:
                reason = _("the same %(source)s id as row %(row)s", source=source, row=first)
                problem("external_id", external_id, reason)
            continue
        if (current := stored_by_user.get((agent.id, source))) is not None:
            problem(
                "external_id",
                external_id,
                _(
                    "%(agent)s already has the %(source)s id %(id)s; remove it first",
                    agent=agent.display_name,
                    source=source,
                    id=current,
                ),
            )
            continue
        if (agent.id, source) in wanted_by_user:
            first, other = wanted_by_user[(agent.id, source)]
            reason = _(
                "row %(row)s gives this agent the %(source)s id %(id)s",
                row=first,
                source=source,
                id=other,
            )
            problem("external_id", external_id, reason)
            continue
        wanted[key] = (number, agent)
        wanted_by_user[(agent.id, source)] = (number, external_id)
    if problems:
        raise TableError(problems)
    report.added = len(wanted)
    if dry_run or not wanted:
        return report
    db.session.execute(
        sa.insert(AgentIdentity),
        [
            {
                "user_id": agent.id,
                "source": source,
                "external_id": external_id,
                "created_by_id": actor.id,
            }
            for (source, external_id), (_row, agent) in wanted.items()
        ],
    )
    record_event(
        "identity.imported",
        "agent_identity",
        None,
        actor_id=actor.id,
        after={"file": filename[:200], "rows": report.rows, "added": report.added},
    )
    return report
