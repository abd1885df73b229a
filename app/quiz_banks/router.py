"""``/api/admin/quiz-banks``: upload, list, activate and delete question banks."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from app.deps import CurrentAdmin, CurrentUnscopedAdmin, DatabaseDep, EntityId, SessionDep
from app.errors import InvalidInput, errors_answered
from app.quiz_banks import service
from app.quiz_banks.dependencies import AdminForImport
from app.quiz_banks.schemas import BankOut, ImportedBankOut

router = APIRouter(prefix="/api/admin/quiz-banks", tags=["quiz banks"])

# A 10,000-question XLSX is about 1 MB; leave room without accepting anything huge.
MAX_UPLOAD_BYTES = 20 * 1024 * 1024


@router.post("", response_model=ImportedBankOut, status_code=201,
             responses={200: {"model": ImportedBankOut,
                              "description": "The same questions were imported before: "
                                             "that bank, nothing added"}})
async def upload_bank(
    _admin: AdminForImport,
    database: DatabaseDep,
    response: Response,
    file: Annotated[UploadFile, File(description="CSV, XLSX, JSON, GIFT or Aiken")],
    name: Annotated[str | None, Form(max_length=100)] = None,
) -> ImportedBankOut:
    """Import a bank file as a new bank version; 422 lists the problems and imports nothing."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("file too large", errors=[{"field": "file",
                                                      "message": "at most 20 MB"}])
    # Parsing and validating take CPU for seconds: never on the event loop.
    outcome = await run_in_threadpool(service.import_file, database, data, file.filename or "",
                                      name=name, now=datetime.now(UTC))
    if outcome.already_imported:
        response.status_code = 200
    return ImportedBankOut.of(outcome.bank, already_imported=outcome.already_imported)


@router.get("", response_model=list[BankOut])
def list_banks(_admin: CurrentAdmin, session: SessionDep) -> list[BankOut]:
    """Every bank version with its question count, newest first."""
    return [BankOut.model_validate(bank) for bank in service.list_banks(session)]


@router.post("/{bank_id}/activate", response_model=BankOut)
def activate_bank(bank_id: EntityId, _admin: CurrentUnscopedAdmin, session: SessionDep) -> BankOut:
    """Make this bank the one quizzes draw from (the previous one is deactivated)."""
    return BankOut.model_validate(service.activate_bank(session, bank_id, datetime.now(UTC)))


@router.delete("/{bank_id}", status_code=204, responses=errors_answered(409))
def delete_bank(bank_id: EntityId, _admin: CurrentUnscopedAdmin, session: SessionDep) -> None:
    """Delete a bank nobody has played, no contest uses and that is not active; 409 says why not."""
    service.delete_bank(session, bank_id)
