"""What part of the organisation tree a caller may see and act on.

A token created with ``--org`` is scoped to that org's subtree: every admin and
console query narrows its rows with the clauses here, and every action on one
row checks :meth:`OrgScope.covers` first. Rows outside the scope answer 404,
never 403, so a 书记 of one branch cannot even learn what a sibling branch holds.
An unscoped token sees everything, as before orgs existed.

Subtrees are prefix matches on the org's materialised ``path`` (``/1/5/``),
one indexed condition whatever the depth.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, false, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import NotFound
from app.models.org import Org, RosterEntry


@dataclass(frozen=True, slots=True)
class OrgScope:
    """Everything (``org_path`` None) or the subtree whose root has ``org_path``."""

    org_id: int | None = None
    org_path: str | None = None

    @property
    def is_everything(self) -> bool:
        return self.org_path is None

    def covers_path(self, path: str | None) -> bool:
        """Whether an org with ``path`` (None: a row in no org) lies inside the scope."""
        if self.org_path is None:
            return True
        return path is not None and path.startswith(self.org_path)

    def covers(self, session: Session, org_id: int | None) -> bool:
        """Whether the org ``org_id`` (None: a row in no org) lies inside the scope."""
        if self.org_path is None:
            return True
        if org_id is None:
            return False
        org = session.get(Org, org_id)
        return org is not None and self.covers_path(org.path)

    def orgs(self) -> ColumnElement[bool]:
        """A condition on :class:`Org` rows: the org lies inside the scope."""
        if self.org_path is None:
            return true()
        return Org.path.startswith(self.org_path, autoescape=True)

    def org_ids(self) -> Select[int]:
        """The ids of the orgs inside the scope, as a subquery for ``IN``."""
        return select(Org.id).where(self.orgs())

    def holds_org(self, org_id_column: InstrumentedAttribute[int | None]
                  | InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """A condition on rows with an org column: their org lies inside the scope.

        Rows in no org (NULL) belong to unscoped callers only.
        """
        if self.org_path is None:
            return true()
        return org_id_column.in_(self.org_ids())

    def holds_member(self, member_id_column: InstrumentedAttribute[int]
                     | InstrumentedAttribute[int | None]) -> ColumnElement[bool]:
        """A condition on rows naming a member: the member is bound to a roster
        entry inside the scope. Unbound members belong to unscoped callers only."""
        if self.org_path is None:
            return true()
        return exists().where(RosterEntry.member_id == member_id_column,
                              RosterEntry.org_id.in_(self.org_ids()))

    def nothing_unless_everything(self) -> ColumnElement[bool]:
        """For rows that belong to no org at all: visible to unscoped callers only."""
        return true() if self.org_path is None else false()


EVERYTHING = OrgScope()


def scope_of_org(session: Session, org_id: int | None) -> OrgScope:
    """The scope of a token created for ``org_id`` (None: everything)."""
    if org_id is None:
        return EVERYTHING
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound(f"no org {org_id}")
    return OrgScope(org.id, org.path)


def require_org_in_scope(session: Session, scope: OrgScope, org_id: int) -> Org:
    """The org ``org_id`` when the scope covers it; 404 when missing or outside."""
    org = session.get(Org, org_id)
    if org is None or not scope.covers_path(org.path):
        raise NotFound(f"no org {org_id}")
    return org
