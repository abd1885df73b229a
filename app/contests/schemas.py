from __future__ import annotations

from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ContestIn(BaseModel):
    title: str = Field(min_length=1, max_length=100)
    # A database key: larger numbers can only be unknown, and overflow the driver.
    bank_id: int = Field(ge=1, le=2**63 - 1)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    question_count: int = Field(default=10, ge=1, le=100)
    seconds_per_question: int | None = Field(default=None, ge=5, le=600)
    max_attempts: int = Field(default=1, ge=1, le=20, description="the best attempt counts")


class ContestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    bank_id: int
    starts_at: datetime
    ends_at: datetime
    question_count: int
    seconds_per_question: int | None
    max_attempts: int


class ContestResultOut(BaseModel):
    rank: int
    member_id: int
    name: str | None
    branch: str | None
    correct: int
    total: int
    seconds: float
    attempts: int
    finished_at: datetime | None
