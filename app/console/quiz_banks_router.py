"""题库 pages: list and upload, one bank's questions with statistics, activate, delete."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse
from starlette.concurrency import run_in_threadpool

from app.console import quiz_banks
from app.console.rendering import page
from app.console.session import CheckedForm, ConsoleAdminDep, ConsoleUnscopedAdminDep, ConsoleUser
from app.deps import DatabaseDep, EntityId, SessionDep
from app.quiz_banks.router import MAX_UPLOAD_BYTES

router = APIRouter(prefix="/console/quiz-banks", tags=["console"])
Order = Literal["position", "hardest"]


def _admin_with_form_then_end_transaction(user: ConsoleUnscopedAdminDep, _form: CheckedForm,
                                          session: SessionDep) -> ConsoleUser:
    """The admin, once the form's CSRF token held, with the request's transaction ended:
    the import runs its own short transactions, which must not wait for this one."""
    session.commit()
    return user


AdminForUpload = Annotated[ConsoleUser, Depends(_admin_with_form_then_end_transaction)]


@router.get("", response_class=HTMLResponse)
def banks_page(request: Request, session: SessionDep, user: ConsoleAdminDep,
               deleted: bool = False) -> HTMLResponse:
    """Every bank with its state, and the upload form."""
    banks = quiz_banks.banks(session, user.principal.scope)
    return page(request, "quiz_banks.html",
                {"user": user, "banks": banks, "upload": None, "deleted": deleted})


@router.post("", response_class=HTMLResponse)
async def upload(request: Request, database: DatabaseDep, user: AdminForUpload,
                 file: Annotated[UploadFile, File()]) -> Response:
    """Import a bank file; a refused one comes back with its problems beside its rows."""
    form = await request.form()
    name = form.get("name")
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        outcome = quiz_banks.Upload(summary="文件超过 20 MB，请拆分后分别上传。")
    else:
        outcome = await run_in_threadpool(
            quiz_banks.upload, database, data, file.filename or "",
            name if isinstance(name, str) and name.strip() else None, datetime.now(UTC))
    if outcome.bank is not None:
        again = "&again=1" if outcome.already_imported else ""
        return RedirectResponse(f"/console/quiz-banks/{outcome.bank.id}?imported=1{again}",
                                status_code=303)
    banks = await run_in_threadpool(quiz_banks.banks_in_own_unit, database,
                                    user.principal.scope)
    return page(request, "quiz_banks.html",
                {"user": user, "banks": banks, "upload": outcome, "deleted": False},
                status_code=422)


@router.get("/{bank_id}", response_class=HTMLResponse)
def bank_page(request: Request, bank_id: EntityId, session: SessionDep, user: ConsoleAdminDep,
              page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
              order: Order = "position", imported: bool = False,
              again: bool = False) -> HTMLResponse:
    """One bank: its questions, each with how often it was answered and answered right."""
    context = quiz_banks.bank_page(session, bank_id, page_number, order, user.principal.scope)
    return page(request, "quiz_bank.html",
                {"user": user, "imported": imported, "again": again, **context})


@router.post("/{bank_id}/activate")
def activate(bank_id: EntityId, session: SessionDep, _user: ConsoleUnscopedAdminDep,
             _form: CheckedForm) -> Response:
    """Make this bank the one 答题 draws from."""
    quiz_banks.activate(session, bank_id, datetime.now(UTC))
    return RedirectResponse(f"/console/quiz-banks/{bank_id}", status_code=303)


@router.post("/{bank_id}/delete")
def delete(bank_id: EntityId, session: SessionDep, _user: ConsoleUnscopedAdminDep,
           _form: CheckedForm) -> Response:
    """Delete a bank nobody has played; a used one stays, with the reason shown."""
    quiz_banks.delete(session, bank_id)
    return RedirectResponse("/console/quiz-banks?deleted=1", status_code=303)
