"""Importing and reading the roster (花名册).

An import is all or nothing: the file is read and checked whole, every org
path resolved against the tree, and only then are orgs created and entries
written. An entry is known by its phone number, so importing a corrected file
again updates people instead of adding them twice; people missing from a
later file stay as they were.

A token scoped to an org imports into its subtree only: a row naming an org
outside it, or a phone already on the roster outside it, is a row problem
like any other (the message says no more than that the person or org is not
the token's to change).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from app.dialect import insert_many_or_ignore
from app.errors import Conflict, InvalidInput, NotFound
from app.models.org import Org, RosterEntry
from app.orgs.scope import EVERYTHING, OrgScope, require_org_in_scope
from app.orgs.service import ensure_org, full_names
from app.roster.export import roster_xlsx
from app.roster.reading import CHINESE, Problem, RosterRow, read_roster

# Phones per IN list: well under SQLite's limit on bound parameters.
_CHUNK = 5000
# What a roster row sets on an entry.
_IMPORTED = (RosterEntry.name, RosterEntry.org_id, RosterEntry.status, RosterEntry.joined_on,
             RosterEntry.duty)


class RosterRejected(InvalidInput):
    """A roster file with problems; ``errors`` holds every one as {row, column, message}."""


@dataclass(frozen=True, slots=True)
class ImportSummary:
    rows: int
    created: int
    updated: int
    orgs_created: int


def import_roster(session: Session, data: bytes, filename: str, now: datetime,
                  scope: OrgScope = EVERYTHING) -> ImportSummary:
    """Check the file whole, then create missing orgs and upsert entries by phone."""
    rows, problems = read_roster(data, filename)
    tree = _Tree(session, scope)
    problems += [problem for row in rows for problem in tree.check(row)]
    existing = _entries_by_phone(session, [row.phone for row in rows])
    problems += _outside_scope(session, scope, rows, existing)
    if problems:
        problems.sort(key=lambda problem: (problem.row or 0))
        raise RosterRejected(f"花名册有 {len(problems)} 处问题，未导入任何人员",
                             errors=[problem.as_dict() for problem in problems])
    values: dict[str, dict[str, object]] = {
        row.phone: {"name": row.name, "org_id": tree.ensure(row.org_path, now),
                    "status": row.status, "joined_on": row.joined_on, "duty": row.duty}
        for row in rows}
    fresh = [phone for phone in values if phone not in existing]
    created = _insert_new(session, {phone: values[phone] for phone in fresh}, now)
    if created < len(fresh):
        # Another import added some of these phones since this one looked: they are
        # updated like any other (those this one added compare equal and stay).
        existing |= _entries_by_phone(session, fresh)
    # Only what changed is written: importing the same file again writes nothing.
    changed = [{"id": stored.id, **values[phone], "updated_at": now}
               for phone, stored in existing.items() if stored.fields != values[phone]]
    if changed:
        session.execute(update(RosterEntry), changed)
    return ImportSummary(len(rows), created, len(rows) - created, tree.created)


class _Stored(NamedTuple):
    id: int
    org_id: int
    fields: dict[str, object]


def _entries_by_phone(session: Session, phones: Sequence[str]) -> dict[str, _Stored]:
    """The entries with these phones, by phone: id, org and the fields an import sets."""
    found: dict[str, _Stored] = {}
    for start in range(0, len(phones), _CHUNK):
        for entry in session.execute(
                select(RosterEntry.phone, RosterEntry.id, *_IMPORTED)
                .where(RosterEntry.phone.in_(phones[start:start + _CHUNK]))).mappings():
            found[entry["phone"]] = _Stored(entry["id"], entry["org_id"], {
                column.key: entry[column.key] for column in _IMPORTED})
    return found


def _insert_new(session: Session, values: dict[str, dict[str, object]], now: datetime) -> int:
    """Insert entries for these phones in bulk; how many were inserted (a phone a
    concurrent import inserted first is skipped, left to the caller to update)."""
    if not values:
        return 0
    rows = [{"phone": phone, "created_at": now, "updated_at": now, "member_id": None, **fields}
            for phone, fields in values.items()]
    # The table, not the ORM entity: the driver's own executemany, without bookkeeping
    # for objects nobody will load. This runs under SQLite's write lock, which the chat
    # waits for.
    return insert_many_or_ignore(session, RosterEntry.__table__, rows)


def _outside_scope(session: Session, scope: OrgScope, rows: Sequence[RosterRow],
                   existing: dict[str, _Stored]) -> list[Problem]:
    """Rows that would move a person on the roster outside ``scope`` into it."""
    if scope.is_everything:
        return []
    inside = set(session.scalars(scope.org_ids()))
    return [Problem(row.row, CHINESE["phone"],
                    "此手机号已登记在您管理范围以外的组织，请联系上级组织的管理员调整")
            for row in rows
            if row.phone in existing and existing[row.phone].org_id not in inside]


class _Tree:
    """The org tree as an import sees it: paths of names resolved to ids, new ones made.

    A path starts at a root. An unknown root while roots exist is refused, so a
    typo in the top level (``机关党委`` vs ``机关党委会``) cannot start a second tree;
    the first import into an empty tree may create one root. Below a known root,
    missing orgs are created. A scoped import writes full paths too (as the
    export does), and each must lead through the scope's own org.
    """

    def __init__(self, session: Session, scope: OrgScope = EVERYTHING) -> None:
        self._session = session
        self._scope = scope
        self._ids: dict[tuple[str, ...], int] = {}
        orgs = {org.id: org for org in session.scalars(select(Org))}
        for org in orgs.values():
            names = tuple(orgs[int(part)].name for part in org.path.strip("/").split("/"))
            self._ids[names] = org.id
        self._roots = sorted(org.name for org in orgs.values() if org.parent_id is None)
        self._new_root: str | None = None
        self._scope_path = next((path for path, org_id in self._ids.items()
                                 if org_id == scope.org_id), None)
        self.created = 0

    def check(self, row: RosterRow) -> list[Problem]:
        if self._scope_path is not None:
            if row.org_path[:len(self._scope_path)] == self._scope_path:
                return []
            return [Problem(row.row, CHINESE["org"],
                            "该组织不在您的管理范围内；组织请写在"
                            f"“{'/'.join(self._scope_path)}”或其下级组织")]
        root = row.org_path[0]
        if root in self._roots or root == self._new_root:
            return []
        if not self._roots and self._new_root is None:
            self._new_root = root
            return []
        known = self._roots or [self._new_root or ""]
        message = (f"顶级组织“{root}”不存在；现有顶级组织：{'、'.join(known)}。"
                   "组织请从顶级写起，例如：" f"{known[0]}/第一党支部")
        inside = sorted("/".join(path) for path in self._ids if path[-1] == root)
        if inside:
            message += f"。是否应为“{inside[0]}”？"
        return [Problem(row.row, CHINESE["org"], message)]

    def ensure(self, path: tuple[str, ...], now: datetime) -> int:
        parent_id: int | None = None
        for depth in range(1, len(path) + 1):
            prefix = path[:depth]
            if prefix not in self._ids:
                org, created = ensure_org(self._session, prefix[-1], now, parent_id=parent_id)
                self._ids[prefix] = org.id
                self.created += created
            parent_id = self._ids[prefix]
        assert parent_id is not None
        return parent_id


@dataclass(frozen=True, slots=True)
class RosterQuery:
    org_id: int | None = None
    search: str | None = None
    bound: bool | None = None
    limit: int | None = None
    offset: int = 0
    scope: OrgScope = EVERYTHING


def _filters(session: Session, query: RosterQuery) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if not query.scope.is_everything:
        conditions.append(query.scope.holds_org(RosterEntry.org_id))
    if query.org_id is not None:
        subtree = require_org_in_scope(session, query.scope, query.org_id).path
        conditions.append(RosterEntry.org_id.in_(
            select(Org.id).where(Org.path.startswith(subtree, autoescape=True))))
    if query.search:
        words = query.search.strip()
        digits = "".join(ch for ch in words if ch.isdigit())
        matches = [RosterEntry.name.contains(words, autoescape=True)]
        if digits:
            matches.append(RosterEntry.phone.contains(digits, autoescape=True))
        conditions.append(or_(*matches))
    if query.bound is not None:
        conditions.append(RosterEntry.member_id.is_not(None) if query.bound
                          else RosterEntry.member_id.is_(None))
    return conditions


def list_entries(session: Session, query: RosterQuery) -> tuple[int, Sequence[RosterEntry]]:
    """(how many match, the page asked for), ordered by org then name."""
    conditions = _filters(session, query)
    total = session.scalar(select(func.count()).select_from(RosterEntry)
                           .where(and_(True, *conditions))) or 0
    statement = (select(RosterEntry).join(Org, Org.id == RosterEntry.org_id)
                 .where(*conditions).order_by(Org.path, RosterEntry.name, RosterEntry.id)
                 .offset(query.offset))
    if query.limit is not None:
        statement = statement.limit(query.limit)
    return int(total), session.scalars(statement).all()


def unbind(session: Session, entry_id: int, scope: OrgScope = EVERYTHING) -> RosterEntry:
    """Undo the entry's binding so another member (or the same one again) may bind it."""
    entry = session.get(RosterEntry, entry_id)
    if entry is None or not scope.covers(session, entry.org_id):
        raise NotFound(f"no roster entry {entry_id}")
    if entry.member_id is None:
        raise Conflict(f"“{entry.name}”尚未绑定微信")
    session.execute(update(RosterEntry).where(RosterEntry.id == entry_id)
                    .values(member_id=None, bound_at=None))
    session.refresh(entry)
    return entry


def entry_views(session: Session, entries: Sequence[RosterEntry]) -> list[dict[str, object]]:
    """Entries as the API shows them, each with its org's full name."""
    names = full_names(session)
    return [{"id": e.id, "name": e.name, "phone": e.phone, "org_id": e.org_id,
             "org": names.get(e.org_id, ""), "status": e.status, "joined_on": e.joined_on,
             "duty": e.duty, "bound": e.member_id is not None, "member_id": e.member_id}
            for e in entries]


def export_xlsx(session: Session, query: RosterQuery) -> bytes:
    _total, entries = list_entries(session, query)
    return roster_xlsx(entries, full_names(session))


def roster_page(session: Session, query: RosterQuery) -> dict[str, object]:
    total, entries = list_entries(session, query)
    return {"total": total, "items": entry_views(session, entries)}


def unbind_view(session: Session, entry_id: int, scope: OrgScope = EVERYTHING
                ) -> dict[str, object]:
    return entry_views(session, [unbind(session, entry_id, scope)])[0]
