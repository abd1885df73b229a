"""The organisation tree: create, read with member counts, rename or move, delete.

Each node keeps its materialised ``path`` (``/1/5/9/``); moving a node rewrites
the paths of its whole subtree in one UPDATE.

Names are unique among siblings by a unique index, and a new org is inserted
with ``ON CONFLICT DO NOTHING``: two requests creating the same org at once
(two roster imports naming one new 支部) both end up with the one row, and
neither sees a constraint error. Every function taking a ``scope`` answers
for orgs outside it as for missing ones (:mod:`app.orgs.scope`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from app.dialect import insert_or_ignore
from app.errors import Conflict, InvalidInput, NotFound
from app.models.event import Event
from app.models.org import Org, RosterEntry
from app.models.token import ApiToken
from app.orgs.scope import EVERYTHING, OrgScope, refuse_own_root, require_org_in_scope

KINDS = {"committee": "党委", "general_branch": "党总支", "branch": "党支部", "group": "党小组"}
# Longest suffix first: 党总支 must not be read as 支部's relative.
_SUFFIX_KINDS = (("党总支", "general_branch"), ("党小组", "group"), ("党支部", "branch"),
                 ("支部", "branch"), ("党委", "committee"))


def kind_from_name(name: str) -> str | None:
    """The kind a name implies (``机关党委`` → committee), or None."""
    return next((kind for suffix, kind in _SUFFIX_KINDS if name.endswith(suffix)), None)


def clean_name(raw: str) -> str:
    name = " ".join(raw.split())
    if not 1 <= len(name) <= 64 or "/" in name:
        raise InvalidInput("组织名称无效", errors=[
            {"field": "name", "message": "组织名称需为 1–64 个字，且不能含“/”"}])
    return name


def _check_kind(kind: str | None) -> None:
    if kind is not None and kind not in KINDS:
        raise InvalidInput("组织类型无效", errors=[
            {"field": "kind", "message": f"组织类型应为 {'、'.join(KINDS)} 之一"}])


def get_org(session: Session, org_id: int) -> Org:
    org = session.get(Org, org_id)
    if org is None:
        raise NotFound(f"no org {org_id}")
    return org


def _parent(session: Session, parent_id: int, scope: OrgScope = EVERYTHING) -> Org:
    parent = session.get(Org, parent_id)
    if parent is None or not scope.covers_path(parent.path):
        raise InvalidInput("上级组织不存在", errors=[
            {"field": "parent_id", "message": f"没有编号为 {parent_id} 的组织"}])
    return parent


def _sibling_named(session: Session, parent_id: int | None, name: str) -> Org | None:
    parent = Org.parent_id.is_(None) if parent_id is None else Org.parent_id == parent_id
    return session.scalars(select(Org).where(parent, Org.name == name)).first()


def _refuse_duplicate(session: Session, parent_id: int | None, name: str,
                      keep: int | None = None) -> None:
    same = _sibling_named(session, parent_id, name)
    if same is not None and same.id != keep:
        raise Conflict(f"同一上级组织下已有名为“{name}”的组织")


def create_org(session: Session, name: str, now: datetime, *, parent_id: int | None = None,
               kind: str | None = None) -> Org:
    """A new org; 409 when its parent already has one of that name."""
    org, created = ensure_org(session, name, now, parent_id=parent_id, kind=kind)
    if not created:
        raise Conflict(f"同一上级组织下已有名为“{org.name}”的组织")
    return org


def create_org_in_scope(session: Session, name: str, now: datetime, scope: OrgScope, *,
                        parent_id: int | None = None, kind: str | None = None) -> Org:
    """:func:`create_org` for a caller limited to ``scope``: the parent must lie inside
    it, and a scoped caller that names none creates below its own org."""
    if parent_id is None:
        parent_id = scope.org_id
    elif not scope.is_everything:
        _parent(session, parent_id, scope)
    return create_org(session, name, now, parent_id=parent_id, kind=kind)


def ensure_org(session: Session, name: str, now: datetime, *, parent_id: int | None = None,
               kind: str | None = None) -> tuple[Org, bool]:
    """The org named ``name`` under ``parent_id``, created when missing; and whether it
    was created by this call."""
    name = clean_name(name)
    _check_kind(kind)
    parent_path = _parent(session, parent_id).path if parent_id is not None else "/"
    new_id = session.scalar(
        insert_or_ignore(session, Org)
        .values(parent_id=parent_id, name=name, kind=kind or kind_from_name(name), path="",
                created_at=now)
        .returning(Org.id))
    if new_id is None:
        # Taken already, by an earlier request or one that committed while this waited
        # on the index; read committed (or SQLite's single writer) lets this see it.
        existing = _sibling_named(session, parent_id, name)
        assert existing is not None
        return existing, False
    session.execute(update(Org).where(Org.id == new_id)
                    .values(path=f"{parent_path}{new_id}/")
                    .execution_options(synchronize_session=False))
    org = session.get(Org, new_id)
    assert org is not None
    session.refresh(org)
    return org, True


def update_org(session: Session, org_id: int, *, name: str | None = None,
               kind: str | None = None, parent_id: int | None = None,
               move: bool = False, scope: OrgScope = EVERYTHING) -> Org:
    """Rename, re-kind or (``move``) put the node under ``parent_id`` (None: make it a root)."""
    org = require_org_in_scope(session, scope, org_id)
    refuse_own_root(scope, org_id)
    if move and parent_id is None and not scope.is_everything:
        raise InvalidInput("上级组织不存在", errors=[
            {"field": "parent_id", "message": "限定在本组织的令牌只能把组织移到本组织之下"}])
    new_name = clean_name(name) if name is not None else org.name
    new_parent = parent_id if move else org.parent_id
    if kind is not None:
        _check_kind(kind)
        org.kind = kind
    _refuse_duplicate(session, new_parent, new_name, keep=org.id)
    org.name = new_name
    if move and new_parent != org.parent_id:
        parent_path = "/"
        if new_parent is not None:
            parent = _parent(session, new_parent, scope)
            if parent.path.startswith(org.path):
                raise Conflict("不能把组织移到它自己或它的下级组织之下")
            parent_path = parent.path
        old_path, new_path = org.path, f"{parent_path}{org.id}/"
        org.parent_id = new_parent
        session.flush()
        session.execute(
            update(Org).where(Org.path.startswith(old_path, autoescape=True))
            .values(path=new_path + func.substr(Org.path, len(old_path) + 1))
            .execution_options(synchronize_session=False))
        session.refresh(org)
    session.flush()
    return org


def delete_org(session: Session, org_id: int, scope: OrgScope = EVERYTHING) -> None:
    org = require_org_in_scope(session, scope, org_id)
    refuse_own_root(scope, org_id)
    children = session.scalar(select(func.count()).where(Org.parent_id == org_id)) or 0
    if children:
        raise Conflict(f"“{org.name}”下还有 {children} 个下级组织，请先删除或移走它们")
    people = session.scalar(select(func.count()).where(RosterEntry.org_id == org_id)) or 0
    if people:
        raise Conflict(f"“{org.name}”的花名册中还有 {people} 人，请先把他们调到其他组织")
    events = session.scalar(select(func.count()).where(Event.org_id == org_id)) or 0
    if events:
        raise Conflict(f"“{org.name}”还有 {events} 个活动或会议，不能删除")
    tokens = session.scalar(select(func.count()).where(ApiToken.org_id == org_id,
                                                       ApiToken.revoked_at.is_(None))) or 0
    if tokens:
        raise Conflict(f"还有 {tokens} 个管理令牌限定在“{org.name}”，请先吊销它们")
    session.delete(org)
    session.flush()


@dataclass(slots=True)
class OrgNode:
    id: int
    name: str
    kind: str | None
    parent_id: int | None
    path: str
    roster_count: int = 0
    bound_count: int = 0
    children: list[OrgNode] = field(default_factory=list)


def org_tree(session: Session, scope: OrgScope = EVERYTHING) -> list[OrgNode]:
    """Every root with its descendants (a scoped caller: its org, the one root it sees);
    counts cover each node's whole subtree.

    One grouped scan counts each org's own roster; each count is then added to
    the org and its ancestors, read off its path. (Joining every org to the
    entries below it instead makes the database pair each entry with each org.)
    """
    nodes = {org.id: OrgNode(org.id, org.name, org.kind, org.parent_id, org.path)
             for org in session.scalars(select(Org).where(scope.orgs())
                                        .order_by(Org.name, Org.id))}
    own = (select(RosterEntry.org_id, func.count(RosterEntry.id),
                  func.count(RosterEntry.member_id))
           .where(scope.holds_org(RosterEntry.org_id)).group_by(RosterEntry.org_id))
    for org_id, roster, bound in session.execute(own):
        for holder in ancestry(nodes[org_id].path) if org_id in nodes else ():
            if holder in nodes:
                nodes[holder].roster_count += roster
                nodes[holder].bound_count += bound
    roots: list[OrgNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


def ancestry(path: str) -> list[int]:
    """The ids on a materialised path, root first: ``/1/5/9/`` → [1, 5, 9]."""
    return [int(part) for part in path.strip("/").split("/")]


def list_orgs(session: Session) -> Sequence[Org]:
    return session.scalars(select(Org).order_by(Org.path)).all()


def full_names(session: Session) -> dict[int, str]:
    """Each org's full name, its path of names joined by ``/`` (``机关党委/第一党支部``)."""
    orgs = {org.id: org for org in list_orgs(session)}
    return {org_id: "/".join(orgs[int(part)].name for part in org.path.strip("/").split("/"))
            for org_id, org in orgs.items()}
