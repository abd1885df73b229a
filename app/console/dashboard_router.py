"""概览: the dashboard's page and one XLSX download per figure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import HTMLResponse

from app.console import dashboard
from app.console.rendering import page
from app.console.session import ConsoleUserDep
from app.deps import SessionDep, SettingsDep
from app.events.router import download
from app.exports import XLSX_MEDIA_TYPE

router = APIRouter(prefix="/console/dashboard", tags=["console"])
FigureKey = Annotated[str, Path(max_length=16, pattern=r"^[a-z]+$")]


@router.get("", response_class=HTMLResponse)
def dashboard_page(request: Request, session: SessionDep, settings: SettingsDep,
                   user: ConsoleUserDep, start: date | None = None,
                   end: date | None = None) -> HTMLResponse:
    """Learning, quizzes, attendance, points and branches in my scope over a period."""
    context = dashboard.page_context(session, user.principal, start, end, settings.zone,
                                     datetime.now(UTC))
    return page(request, "dashboard.html", {"user": user, **context})


@router.get("/{figure}.xlsx", response_class=Response)
def dashboard_xlsx(figure: FigureKey, session: SessionDep, settings: SettingsDep,
                   user: ConsoleUserDep, start: date | None = None,
                   end: date | None = None) -> Response:
    """One figure's table as an Excel workbook: the numbers the chart shows."""
    filename, content = dashboard.export(session, user.principal, figure, start, end,
                                         settings.zone, datetime.now(UTC))
    return download(content, XLSX_MEDIA_TYPE, filename)
