from __future__ import annotations

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
