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


class ImportedBankOut(BankOut):
    """An upload's answer: the new bank (201), or the bank that already held the
    same questions (200, ``already_imported``)."""

    already_imported: bool

    @classmethod
    def of(cls, bank: object, *, already_imported: bool) -> ImportedBankOut:
        shown = BankOut.model_validate(bank).model_dump()
        return cls.model_validate({**shown, "already_imported": already_imported})
