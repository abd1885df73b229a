"""What part of the organisation tree a caller may see and act on.

A token created with ``--org`` is scoped to that org's subtree: every admin and
console query narrows its rows with the clauses here, and every action on one
row checks :meth:`OrgScope.covers` first. Rows outside the scope answer 404,
never 403, so a 书记 of one branch cannot even learn what a sibling branch holds.
An unscoped token sees everything, as before orgs existed.

Subtrees are prefix matches on the org's materialised ``path`` (``/1/5/``),
one indexed condition whatever the depth.

How a route is scoped (copy the pattern that fits). The router passes
``principal.scope`` to its one service call; services take ``scope: OrgScope =
EVERYTHING`` so that the CLI, the scheduler and the chat keep seeing everything.

- **Lists** add the scope's condition to their query: ``scope.holds_org(Row.org_id)``
  for rows with an org, ``scope.holds_member(Row.member_id)`` for rows about a
  member (bound to the roster inside the scope), ``scope.orgs()`` on :class:`Org`
  itself, ``scope.holds_path(alias.path)`` on an aliased org.
- **One row by id** (``/{event_id}``, ``/{member_id}``, …): load it, and answer
  :class:`~app.errors.NotFound` exactly as for a missing id when the scope does
  not cover it (:func:`require_org_in_scope`, :func:`require_member_in_scope`).
- **An org given in a body or query** (``org_id``, ``parent_id``) goes through
  :func:`require_org_in_scope` (404 in a query or path; a body field answers 422
  naming the field, as for an org that does not exist).
- **New rows** land inside the scope: a scoped caller that names no org gets
  its own (``scope.org_id``).
- **Shared content** with no org (quiz banks, lessons, contests) is read by
  every admin and changed only by an unscoped one (``CurrentUnscopedAdmin`` in
  :mod:`app.deps`, 403): one branch must not swap the bank every branch draws from.
- A scoped token may not rename, move or delete the org it is scoped to (403):
  that org is the higher level's to manage.

``tests/app/test_scope_walk.py`` walks every admin and console route with a
token scoped to one branch; a new route fails there until it is scoped.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, exists, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from app.errors import Forbidden, NotFound
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
        return self.holds_path(Org.path)

    def holds_path(self, path_column: ColumnElement[str]
                   | InstrumentedAttribute[str]) -> ColumnElement[bool]:
        """A condition on any org path column (an aliased :class:`Org`'s): inside the scope."""
        if self.org_path is None:
            return true()
        return path_column.startswith(self.org_path, autoescape=True)

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
        # IN, not a correlated EXISTS: the outer query may join the roster itself.
        return member_id_column.in_(
            select(RosterEntry.member_id).where(RosterEntry.member_id.is_not(None),
                                                RosterEntry.org_id.in_(self.org_ids())))



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


def require_member_in_scope(session: Session, scope: OrgScope, member_id: int) -> None:
    """Nothing when the scope covers the member (bound inside it); 404 otherwise, the
    answer a missing member gets too."""
    if scope.is_everything:
        return
    inside = session.scalar(select(exists().where(RosterEntry.member_id == member_id,
                                                  RosterEntry.org_id.in_(scope.org_ids()))))
    if not inside:
        raise NotFound(f"no member {member_id}")


def refuse_own_root(scope: OrgScope, org_id: int) -> None:
    """A scoped token manages what lies below its org, not the org itself."""
    if scope.org_id == org_id:
        raise Forbidden("本组织由上级管理员维护；限定在本组织的令牌不能修改、移动或删除它")
