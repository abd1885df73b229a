"""Console roles held by roster entries, given and taken away by admins in the console.

Giving a role creates an API token for it (role, org scope, the person's name)
whose plaintext is thrown away at once; the person signs in only through
one-time links from WeChat (:mod:`app.console.links`). Taking the role away
revokes that token, which ends the person's console sessions at once. An admin
sees and gives roles only inside their own scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from app.auth.tokens import Principal, Role, create_token, find_token, revoke_token
from app.console.refusals import ConsoleRefusal
from app.errors import Forbidden, NotFound
from app.models import ApiToken, ConsoleRole, Org, RosterEntry
from app.orgs.scope import OrgScope, require_org_in_scope
from app.orgs.service import full_names
from bots.texts import mask_phone

ROLE_LABELS = {Role.ADMIN.value: "管理员", Role.ORGANIZER.value: "组织者"}
CANDIDATES_SHOWN = 20
PHONE_DIGITS_SEARCHED = 3
BACK = "/console/roles"


@dataclass(frozen=True, slots=True)
class RoleHolder:
    id: int
    name: str
    phone: str  # masked
    entry_org: str
    role: str
    scope_org: str  # "" for the whole organisation
    bound: bool
    granted_by: str
    granted_at: datetime


@dataclass(frozen=True, slots=True)
class Candidate:
    entry_id: int
    name: str
    phone: str  # masked
    org: str
    bound: bool
    role: str  # the role held now, "" for none


def live_token_of_entry(session: Session, entry_id: int) -> ApiToken | None:
    return session.scalar(
        select(ApiToken).join(ConsoleRole, ConsoleRole.token_id == ApiToken.id)
        .where(ConsoleRole.roster_entry_id == entry_id, ApiToken.revoked_at.is_(None)))


def holders(session: Session, scope: OrgScope) -> list[RoleHolder]:
    """Everyone holding a role inside ``scope``: their entry and their role's org both in it."""
    names = full_names(session)
    rows = session.execute(
        select(ConsoleRole, RosterEntry, ApiToken)
        .join(RosterEntry, RosterEntry.id == ConsoleRole.roster_entry_id)
        .join(ApiToken, ApiToken.id == ConsoleRole.token_id)
        .join(Org, Org.id == RosterEntry.org_id)
        .where(ApiToken.revoked_at.is_(None), scope.holds_org(RosterEntry.org_id),
               scope.holds_org(ApiToken.org_id))
        .order_by(Org.path, RosterEntry.name, RosterEntry.id)).all()
    return [RoleHolder(role.id, entry.name, mask_phone(entry.phone), names.get(entry.org_id, ""),
                       token.role, names.get(token.org_id, "") if token.org_id else "",
                       entry.member_id is not None, role.granted_by, role.created_at)
            for role, entry, token in rows]


def candidates(session: Session, scope: OrgScope, search: str) -> list[Candidate]:
    """Roster entries inside ``scope`` whose name or phone contains ``search``."""
    words = search.strip()
    if not words:
        return []
    digits = "".join(ch for ch in words if ch.isdigit())
    matches = RosterEntry.name.contains(words, autoescape=True)
    # A digit or two belongs to a name (“B1”); three or more are a piece of a phone number.
    if len(digits) >= PHONE_DIGITS_SEARCHED:
        matches = or_(matches, RosterEntry.phone.contains(digits, autoescape=True))
    entries = session.scalars(
        select(RosterEntry).join(Org, Org.id == RosterEntry.org_id)
        .where(matches, scope.holds_org(RosterEntry.org_id))
        .order_by(Org.path, RosterEntry.name, RosterEntry.id).limit(CANDIDATES_SHOWN)).all()
    names = full_names(session)
    held = dict(session.execute(
        select(ConsoleRole.roster_entry_id, ApiToken.role)
        .join(ApiToken, ApiToken.id == ConsoleRole.token_id)
        .where(ConsoleRole.roster_entry_id.in_([entry.id for entry in entries]),
               ApiToken.revoked_at.is_(None))).all())
    return [Candidate(entry.id, entry.name, mask_phone(entry.phone),
                      names.get(entry.org_id, ""), entry.member_id is not None,
                      ROLE_LABELS.get(held.get(entry.id, ""), ""))
            for entry in entries]


def assignable_orgs(session: Session, scope: OrgScope) -> list[tuple[int, str]]:
    """(id, full name) of every org a role may be scoped to, in tree order."""
    names = full_names(session)
    ids = session.scalars(select(Org.id).where(scope.orgs()).order_by(Org.path)).all()
    return [(org_id, names[org_id]) for org_id in ids]


def _entry_in_scope(session: Session, scope: OrgScope, entry_id: int) -> RosterEntry:
    entry = session.get(RosterEntry, entry_id)
    if entry is None or not scope.covers(session, entry.org_id):
        raise NotFound(f"no roster entry {entry_id}")
    return entry


def _require_admin(principal: Principal) -> None:
    if not principal.is_admin:
        raise Forbidden("only admins give console roles")


def grant(session: Session, principal: Principal, entry_id: int, role: Role,
          org_id: int | None, now: datetime) -> ConsoleRole:
    """Give the entry ``role`` over ``org_id``'s subtree (None: everything, for unscoped
    admins only), replacing the role it held."""
    _require_admin(principal)
    entry = _entry_in_scope(session, principal.scope, entry_id)
    if org_id is None:
        if not principal.scope.is_everything:
            raise ConsoleRefusal("请选择角色管理的组织。", BACK)
    else:
        require_org_in_scope(session, principal.scope, org_id)
    _take_away(session, entry.id, now)
    token = find_token(session, create_token(session, role, entry.name, org_id))
    assert token is not None  # just stored in this unit of work
    role_row = ConsoleRole(roster_entry_id=entry.id, token_id=token.id,
                           granted_by=principal.name, created_at=now)
    session.add(role_row)
    session.flush()
    return role_row


def revoke(session: Session, principal: Principal, role_id: int, now: datetime) -> None:
    """Take the role away; the holder's console sessions end with it."""
    _require_admin(principal)
    role = session.get(ConsoleRole, role_id)
    token = session.get(ApiToken, role.token_id) if role is not None else None
    if (role is None or token is None
            or not principal.scope.covers(session, token.org_id)):
        raise NotFound(f"no console role {role_id}")
    _entry_in_scope(session, principal.scope, role.roster_entry_id)
    _take_away(session, role.roster_entry_id, now)


def _take_away(session: Session, entry_id: int, now: datetime) -> None:
    held = session.scalar(select(ConsoleRole).where(ConsoleRole.roster_entry_id == entry_id))
    if held is None:
        return
    revoke_token(session, held.token_id, now)
    session.execute(delete(ConsoleRole).where(ConsoleRole.id == held.id))
    session.flush()


def grant_from_form(session: Session, principal: Principal, form: dict[str, str],
                    now: datetime) -> str:
    """Give the role the roles page's form asks for; the holder's name, for the notice."""
    entry_id = _whole_number(form.get("entry_id", ""), "请从搜索结果中选择一位人员。")
    role = form.get("role", "")
    if role not in ROLE_LABELS:
        raise ConsoleRefusal("请选择角色：管理员或组织者。", BACK)
    org = form.get("org_id", "")
    org_id = _whole_number(org, "请选择角色管理的组织。") if org else None
    granted = grant(session, principal, entry_id, Role(role), org_id, now)
    entry = session.get(RosterEntry, granted.roster_entry_id)
    return entry.name if entry is not None else ""


def _whole_number(text: str, refusal: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 12:
        raise ConsoleRefusal(refusal, BACK)
    return int(text)
