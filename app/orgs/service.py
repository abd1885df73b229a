"""The organisation tree: create, read with member counts, rename or move, delete.

Each node keeps its materialised ``path`` (``/1/5/9/``); moving a node rewrites
the paths of its whole subtree in one UPDATE.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from app.errors import Conflict, InvalidInput, NotFound
from app.models.event import Event
from app.models.org import Org, RosterEntry
from app.models.token import ApiToken

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


def _parent(session: Session, parent_id: int) -> Org:
    parent = session.get(Org, parent_id)
    if parent is None:
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
    name = clean_name(name)
    _check_kind(kind)
    parent_path = _parent(session, parent_id).path if parent_id is not None else "/"
    _refuse_duplicate(session, parent_id, name)
    org = Org(parent_id=parent_id, name=name, kind=kind or kind_from_name(name), path="",
              created_at=now)
    session.add(org)
    session.flush()
    org.path = f"{parent_path}{org.id}/"
    session.flush()
    return org


def update_org(session: Session, org_id: int, *, name: str | None = None,
               kind: str | None = None, parent_id: int | None = None,
               move: bool = False) -> Org:
    """Rename, re-kind or (``move``) put the node under ``parent_id`` (None: make it a root)."""
    org = get_org(session, org_id)
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
            parent = _parent(session, new_parent)
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


def delete_org(session: Session, org_id: int) -> None:
    org = get_org(session, org_id)
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


def org_tree(session: Session) -> list[OrgNode]:
    """Every root with its descendants; counts cover each node's whole subtree.

    One query counts the roster of every subtree at once: each node is joined
    to the entries of the nodes whose path starts with its own.
    """
    below = aliased(Org)
    counts = (
        select(Org.id, func.count(RosterEntry.id), func.count(RosterEntry.member_id))
        .join(below, below.path.startswith(Org.path))
        .join(RosterEntry, RosterEntry.org_id == below.id)
        .group_by(Org.id)
    )
    totals = {org_id: (roster, bound) for org_id, roster, bound in session.execute(counts)}
    nodes = {org.id: OrgNode(org.id, org.name, org.kind, org.parent_id, org.path,
                             *totals.get(org.id, (0, 0)))
             for org in session.scalars(select(Org).order_by(Org.name, Org.id))}
    roots: list[OrgNode] = []
    for node in nodes.values():
        parent = nodes.get(node.parent_id) if node.parent_id is not None else None
        (parent.children if parent is not None else roots).append(node)
    return roots


def list_orgs(session: Session) -> Sequence[Org]:
    return session.scalars(select(Org).order_by(Org.path)).all()


def full_names(session: Session) -> dict[int, str]:
    """Each org's full name, its path of names joined by ``/`` (``机关党委/第一党支部``)."""
    orgs = {org.id: org for org in list_orgs(session)}
    return {org_id: "/".join(orgs[int(part)].name for part in org.path.strip("/").split("/"))
            for org_id, org in orgs.items()}
