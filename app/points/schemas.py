from __future__ import annotations

from pydantic import BaseModel


class StandingOut(BaseModel):
    rank: int
    member_id: int
    name: str | None
    branch: str | None
    total: int


class BranchStandingOut(BaseModel):
    rank: int
    branch: str
    members: int
    total: int
    average: float
