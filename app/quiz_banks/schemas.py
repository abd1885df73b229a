from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class BankOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    version: int
    question_count: int
    is_active: bool
    source_filename: str
    created_at: datetime
    activated_at: datetime | None
