from __future__ import annotations

from datetime import date

from pydantic import BaseModel


class ImportOut(BaseModel):
    rows: int
    created: int
    updated: int
    orgs_created: int


class EntryOut(BaseModel):
    id: int
    name: str
    phone: str
    org_id: int
    org: str
    status: str
    joined_on: date | None
    duty: str | None
    bound: bool
    member_id: int | None


class EntryPage(BaseModel):
    total: int
    items: list[EntryOut]
