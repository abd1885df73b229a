"""What the red-points routes answer: each service's result as its response model.

Routes pass the caller (:class:`~app.auth.tokens.Principal`); its org scope
becomes the ``within`` path prefix the services narrow to, and its name and
token id become the ``recorded_by`` of what it writes.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.auth.tokens import Principal
from app.errors import Forbidden
from app.models.member import Member
from app.models.points import PointsClaim, PointsEntry
from app.points import catalogue, claims, deeds, pioneer, record, service
from app.points.rules import LABELS, Activity
from app.points.schemas import (
    ApproveIn,
    AttendanceOut,
    AwardIn,
    AwardOut,
    CatalogueIn,
    CatalogueOut,
    ClaimIn,
    ClaimOut,
    LedgerLineOut,
    OrgStandingOut,
    PioneerOut,
    PioneerRowOut,
    RecordOut,
    RejectIn,
    RuleOut,
    StandingOut,
)
from app.points.service import correct


def who(principal: Principal) -> str:
    """``recorded_by`` for a principal: its name, and its token's id (names are not unique)."""
    if principal.token_id is None:
        return principal.name
    return f"{principal.name}#{principal.token_id}"


def scope_of(session: Session, principal: Principal) -> str | None:
    """The org path the principal is limited to; None for the whole tree."""
    del session
    return principal.scope.org_path


def _catalogue_out(current: catalogue.Catalogue) -> CatalogueOut:
    rules = [RuleOut(activity=activity.value, label=LABELS[activity],
                     **asdict(current.rule(activity)))
             for activity in Activity if activity is not Activity.CORRECTION]
    return CatalogueOut(version=current.version, created_by=current.created_by,
                        created_at=current.created_at, rules=rules, weights=current.weights)


def rules(session: Session) -> CatalogueOut:
    return _catalogue_out(catalogue.current(session, datetime.now(UTC)))


def save_rules(session: Session, body: CatalogueIn, principal: Principal) -> CatalogueOut:
    if scope_of(session, principal) is not None:
        raise Forbidden("积分规则适用于全部组织，只有不限组织的管理员可以修改")
    changes = {name: rule.model_dump() for name, rule in body.rules.items()}
    saved = catalogue.save(session, rules=changes,
                           weights=body.weights, by=who(principal), now=datetime.now(UTC))
    return _catalogue_out(saved)


def award(session: Session, body: AwardIn, principal: Principal, zone: ZoneInfo) -> AwardOut:
    recorded = deeds.record_deed(
        session, member_id=body.member_id, category=body.category, points=body.points,
        hours=body.hours, note=body.note, occurred_on=body.occurred_on, by=who(principal),
        now=datetime.now(UTC), zone=zone, within=scope_of(session, principal))
    return AwardOut(**asdict(recorded))


def claim_out(claim: PointsClaim, name: str | None = None, org_id: int | None = None) -> ClaimOut:
    return ClaimOut(id=claim.id, member_id=claim.member_id, name=name, org_id=org_id,
                    text=claim.text, category=claim.category,
                    photos=[photo.get("url", "") for photo in claim.photos], source=claim.source,
                    status=claim.status, occurred_on=claim.occurred_on,
                    created_at=claim.created_at, decided_at=claim.decided_at,
                    decided_by=claim.decided_by, reason=claim.reason, points=claim.points)


def claim_list(session: Session, principal: Principal, status: str | None, limit: int,
               offset: int) -> list[ClaimOut]:
    found = claims.list_claims(session, status=status, within=scope_of(session, principal),
                               limit=limit, offset=offset)
    return [claim_out(view.claim, view.name, view.org_id) for view in found]


def approve(session: Session, claim_id: int, body: ApproveIn, principal: Principal,
            zone: ZoneInfo) -> ClaimOut:
    return claim_out(claims.approve(
        session, claim_id, category=body.category, points=body.points, hours=body.hours,
        reason=body.reason, by=who(principal), now=datetime.now(UTC), zone=zone,
        within=scope_of(session, principal)))


def reject(session: Session, claim_id: int, body: RejectIn, principal: Principal,
           zone: ZoneInfo) -> ClaimOut:
    return claim_out(claims.reject(session, claim_id, reason=body.reason, by=who(principal),
                                   now=datetime.now(UTC), zone=zone,
                                   within=scope_of(session, principal)))


def _line_out(line: record.LedgerLine) -> LedgerLineOut:
    return LedgerLineOut(**asdict(line))


def reverse_line(session: Session, line_id: int, reason: str, principal: Principal,
                 zone: ZoneInfo) -> LedgerLineOut:
    original = session.get(PointsEntry, line_id)
    if original is not None:
        deeds.bound_entry(session, original.member_id, within=scope_of(session, principal))
    line = correct(session, line_id, reason, datetime.now(UTC), zone,
                   recorded_by=who(principal))
    return _line_out(record.line_of(line))


def member_record(session: Session, member_id: int, year: int, principal: Principal,
                  zone: ZoneInfo) -> RecordOut:
    found = record.member_record(session, member_id, year, zone,
                                 within=scope_of(session, principal))
    return RecordOut(
        member_id=found.member_id, name=found.name, org_id=found.org_id, org=found.org,
        status=found.status, duty=found.duty, year=found.year, total=found.total,
        by_category=found.by_category, ledger=[_line_out(line) for line in found.ledger],
        deeds=[_line_out(line) for line in found.deeds],
        claims=[claim_out(claim) for claim in found.claims],
        attendance=[AttendanceOut(**asdict(row)) for row in found.attendance])


def member_record_xlsx(session: Session, member_id: int, year: int, principal: Principal,
                       zone: ZoneInfo) -> bytes:
    found = record.member_record(session, member_id, year, zone,
                                 within=scope_of(session, principal))
    return record.record_xlsx(found, zone)


def pioneer_index(session: Session, org_id: int | None, period: str, principal: Principal,
                  limit: int, offset: int) -> PioneerOut:
    found = pioneer.pioneer_index(session, org_id=org_id, period=period, now=datetime.now(UTC),
                                  within=scope_of(session, principal), limit=limit,
                                  offset=offset)
    return PioneerOut(period=found.period, org_id=found.org_id, weights=found.weights,
                      members_ranked=found.ranked,
                      members=[PioneerRowOut(
                          rank=row.rank, member_id=row.member_id, name=row.name,
                          org_id=row.org_id, org=found.org_names.get(row.org_id, ""),
                          index=row.score, points=row.points, total=row.total)
                          for row in found.rows])


def pioneer_index_xlsx(session: Session, org_id: int | None, period: str,
                       principal: Principal) -> bytes:
    return pioneer.pioneer_xlsx(pioneer.pioneer_index(
        session, org_id=org_id, period=period, now=datetime.now(UTC),
        within=scope_of(session, principal)))


def submit_claim(session: Session, member: Member, body: ClaimIn, zone: ZoneInfo) -> ClaimOut:
    return claim_out(claims.submit(session, member_id=member.id, text=body.text,
                                   category=body.category, occurred_on=body.occurred_on,
                                   source="miniprogram", now=datetime.now(UTC), zone=zone))


def my_claims(session: Session, member: Member) -> list[ClaimOut]:
    return [claim_out(claim) for claim in claims.member_claims(session, member.id)]


def leaderboard(session: Session, principal: Principal, org_id: int | None,
                limit: int) -> list[StandingOut]:
    """Members by total; a scoped caller's board is its own subtree's (or a part of it)."""
    return [StandingOut(**asdict(row)) for row in service.leaderboard(
        session, org_id=org_id, limit=limit, scope=principal.scope)]


def org_leaderboard(session: Session, principal: Principal, parent_id: int | None,
                    limit: int) -> list[OrgStandingOut]:
    return [OrgStandingOut(**asdict(row)) for row in service.org_leaderboard(
        session, parent_id=parent_id, limit=limit, scope=principal.scope)]
