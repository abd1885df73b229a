"""``/api/admin/quiz-banks``: upload, list and activate question banks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile

from app.deps import CurrentAdmin, EntityId, SessionDep
from app.errors import InvalidInput
from app.quiz_banks import service
from app.quiz_banks.schemas import BankOut

router = APIRouter(prefix="/api/admin/quiz-banks", tags=["quiz banks"])

# A 10,000-question XLSX is about 1 MB; leave room without accepting anything huge.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@router.post("", response_model=BankOut, status_code=201)
def upload_bank(
    _admin: CurrentAdmin,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV, XLSX, JSON, GIFT or Aiken")],
    name: Annotated[str | None, Form(max_length=100)] = None,
) -> BankOut:
    """Import a bank file as a new bank version; 422 lists every problem and imports nothing."""
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("file too large", errors=[{"field": "file",
                                                      "message": "at most 20 MB"}])
    bank = service.import_bank(session, data, file.filename or "", name=name,
                               now=datetime.now(UTC))
    return BankOut.model_validate(bank)


@router.get("", response_model=list[BankOut])
def list_banks(_admin: CurrentAdmin, session: SessionDep) -> list[BankOut]:
    """Every bank version with its question count, newest first."""
    return [BankOut.model_validate(bank) for bank in service.list_banks(session)]


@router.post("/{bank_id}/activate", response_model=BankOut)
def activate_bank(bank_id: EntityId, _admin: CurrentAdmin, session: SessionDep) -> BankOut:
    """Make this bank the one quizzes draw from (the previous one is deactivated)."""
    return BankOut.model_validate(service.activate_bank(session, bank_id, datetime.now(UTC)))
