from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class StandingOut(BaseModel):
    rank: int
    member_id: int
    name: str | None
    org_id: int | None = Field(description="the roster org of a bound member")
    org: str | None = Field(description="its full name, e.g. 机关党委/第一党支部")
    total: int


class OrgStandingOut(BaseModel):
    rank: int
    org_id: int
    name: str
    org: str = Field(description="the full name, e.g. 机关党委/第一党支部")
    members: int = Field(description="bound members in the org's subtree")
    total: int
    average: float


class RuleOut(BaseModel):
    activity: str
    label: str
    category: str | None = Field(description="the 先锋指数 category its points count in")
    points: int = Field(description="per award, or per hour when per_hour")
    per_hour: bool
    daily_cap: int | None
    monthly_cap: int | None
    yearly_cap: int | None


class CatalogueOut(BaseModel):
    version: int
    created_by: str
    created_at: datetime
    rules: list[RuleOut]
    weights: dict[str, float] = Field(description="先锋指数 weights by category")


class RuleIn(BaseModel):
    points: int
    category: str | None = None
    daily_cap: int | None = None
    monthly_cap: int | None = None
    yearly_cap: int | None = None


class CatalogueIn(BaseModel):
    rules: dict[str, RuleIn] = Field(
        default_factory=dict, description="by activity; activities left out keep their rule")
    weights: dict[str, float] | None = Field(None, description="by category; left out: kept")


class AwardIn(BaseModel):
    member_id: int = Field(ge=1, le=2**63 - 1)
    category: str = Field(description="志愿服务, 结对帮扶, 建言献策, 先锋作用 or 其他")
    points: int | None = Field(None, description="the catalogue's points when left out")
    hours: float | None = Field(None, description="志愿服务 only: points per hour by the catalogue")
    note: str = Field(description="what the member did; shown in their 一人一册")
    occurred_on: date


class AwardOut(BaseModel):
    member_id: int
    category: str
    activity: str
    points: int
    hours: float | None
    reference: str


class ClaimIn(BaseModel):
    text: str = Field("", description="what the member did")
    category: str | None = None
    occurred_on: date | None = Field(None, description="today when left out")


class ClaimOut(BaseModel):
    id: int
    member_id: int
    name: str | None = None
    org_id: int | None = None
    text: str
    category: str | None
    photos: list[str] = Field(description="picture URLs the member sent with it")
    source: str = Field(description="chat or miniprogram")
    status: str = Field(description="pending, approved or rejected")
    occurred_on: date
    created_at: datetime
    decided_at: datetime | None
    decided_by: str | None
    reason: str | None
    points: int | None


class ApproveIn(BaseModel):
    category: str | None = Field(None, description="the claim's own, or 其他, when left out")
    points: int | None = None
    hours: float | None = None
    reason: str = ""


class RejectIn(BaseModel):
    reason: str = ""


class ReverseIn(BaseModel):
    reason: str = Field(min_length=1, max_length=200)


class LedgerLineOut(BaseModel):
    id: int
    occurred_at: datetime
    recorded_at: datetime
    activity: str
    label: str
    category: str | None
    rule_version: int | None
    reference: str
    delta: int
    recorded_by: str
    note: str
    reverses_id: int | None


class AttendanceOut(BaseModel):
    kind: str = Field(description="the event's kind: activity, or a meeting kind")
    event_id: int
    title: str
    starts_at: datetime
    status: str = Field(description="出席, 请假 or 缺席")


class RecordOut(BaseModel):
    member_id: int
    name: str
    org_id: int
    org: str
    status: str
    duty: str | None
    year: int
    total: int
    by_category: dict[str, int]
    ledger: list[LedgerLineOut]
    deeds: list[LedgerLineOut]
    claims: list[ClaimOut]
    attendance: list[AttendanceOut]


class PioneerRowOut(BaseModel):
    rank: int
    member_id: int
    name: str
    org_id: int
    org: str
    index: float
    points: dict[str, int]
    total: int


class PioneerOut(BaseModel):
    period: str
    org_id: int | None
    weights: dict[str, float]
    members_ranked: int
    members: list[PioneerRowOut]
