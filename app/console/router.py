"""The organizer console: server-rendered pages over the same services as the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from app.console import pages
from app.console.rendering import page
from app.console.session import (
    COOKIE,
    LOGIN_COOKIE,
    LOGIN_MAX_AGE_SECONDS,
    LOGIN_PATH,
    MAX_AGE_SECONDS,
    CheckedForm,
    ConsoleUserDep,
    login_nonce,
    login_nonce_matches,
    secure_cookies,
    sign_out,
)
from app.deps import EntityId, SessionDep, SettingsDep
from app.events.roster import RosterQuery, View
from app.events.router import download
from app.ratelimit.counter import Verdict
from app.ratelimit.deps import ClientAddress
from app.settings import Settings

router = APIRouter(prefix="/console", tags=["console"])
Search = Annotated[str, Query(max_length=32)]


def login_form(request: Request, settings: Settings, template: str, context: dict[str, Any],
               status_code: int = 200) -> HTMLResponse:
    """A page with a sign-in form, and the cookie that vouches for its CSRF nonce."""
    nonce, cookie = login_nonce(settings)
    response = page(request, template, {**context, "login_csrf": nonce},
                    status_code=status_code)
    response.set_cookie(LOGIN_COOKIE, cookie, max_age=LOGIN_MAX_AGE_SECONDS, httponly=True,
                        samesite="strict", secure=secure_cookies(request, settings),
                        path=LOGIN_PATH)
    return response


def _login_form(request: Request, settings: Settings, error: str | None,
                status_code: int = 200) -> HTMLResponse:
    return login_form(request, settings, "login.html", {"error": error}, status_code)


def signed_in(request: Request, settings: Settings, cookie: str) -> Response:
    """Into the console with a new session's cookie; the sign-in nonce is spent."""
    response = RedirectResponse("/console", status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path=LOGIN_PATH, httponly=True, samesite="strict")
    response.set_cookie(COOKIE, cookie, max_age=MAX_AGE_SECONDS, httponly=True,
                        samesite="strict", secure=secure_cookies(request, settings),
                        path="/console")
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    """The sign-in form."""
    return _login_form(request, settings, None)


@router.post("/login", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, settings: SettingsDep, address: ClientAddress,
          token: Annotated[str, Form(max_length=200)] = "",
          csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Exchange an organizer or admin token for a console session."""
    if not login_nonce_matches(settings, request.cookies.get(LOGIN_COOKIE), csrf):
        return _login_form(request, settings, "页面已过期，请重新登录。", status_code=403)
    signed = pages.sign_in(session, settings, token, address, datetime.now(UTC))
    if isinstance(signed, Verdict):
        minutes = -(-signed.retry_after // 60)
        refused = _login_form(request, settings,
                              f"登录失败次数过多，请 {minutes} 分钟后再试。", status_code=429)
        refused.headers["Retry-After"] = str(signed.retry_after)
        return refused
    if signed is None:
        return _login_form(request, settings, "令牌无效或已停用，请检查后重试。",
                           status_code=401)
    return signed_in(request, settings, signed)


@router.post("/logout")
def logout(request: Request, session: SessionDep, settings: SettingsDep,
           _form: CheckedForm) -> Response:
    """End the console session, on the server too: the cookie is worthless afterwards."""
    sign_out(session, settings, request.cookies.get(COOKIE))
    response = RedirectResponse(LOGIN_PATH, status_code=303)
    response.delete_cookie(COOKIE, path="/console", httponly=True, samesite="strict")
    return response


@router.get("", response_class=HTMLResponse)
def events_page(request: Request, session: SessionDep, settings: SettingsDep,
                user: ConsoleUserDep) -> HTMLResponse:
    """The signed-in organizer's events with their seat counts."""
    return page(request, "events.html",
                 pages.events_context(session, user, settings.zone, datetime.now(UTC)))


@router.get("/events/{event_id}", response_class=HTMLResponse)
def event_page(request: Request, event_id: EntityId, session: SessionDep, settings: SettingsDep,
               user: ConsoleUserDep, view: View = "all", q: Search = "") -> HTMLResponse:
    """One event: confirmed, waitlist, checked in; search by name or phone; downloads."""
    context = pages.event_context(session, user, event_id, RosterQuery(view, q.strip()),
                                  settings.zone, datetime.now(UTC))
    context["query_string"] = urlencode({"view": view, "q": q.strip()})
    return page(request, "event.html", context)


@router.get("/events/{event_id}/signups.csv", response_class=Response)
def download_csv(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                 user: ConsoleUserDep, view: View = "all", q: Search = "") -> Response:
    """The list shown, as CSV (UTF-8 with BOM)."""
    content = pages.csv_for(session, user, event_id, RosterQuery(view, q.strip()), settings.zone)
    return download(content, "text/csv; charset=utf-8", f"event-{event_id}-signups.csv")


@router.get("/events/{event_id}/signups.xlsx", response_class=Response)
def download_xlsx(event_id: EntityId, session: SessionDep, settings: SettingsDep,
                  user: ConsoleUserDep, view: View = "all", q: Search = "") -> Response:
    """The list shown, as an Excel workbook."""
    content = pages.xlsx_for(session, user, event_id, RosterQuery(view, q.strip()),
                             settings.zone)
    return download(content,
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                     f"event-{event_id}-signups.xlsx")


@router.post("/events/{event_id}/signups/{signup_id}/checkin")
def check_in(event_id: EntityId, signup_id: EntityId, session: SessionDep, settings: SettingsDep,
             user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Check a member in on their behalf, then return to the same row of the list."""
    target = pages.check_in(session, user, event_id, signup_id, form, settings.zone,
                            datetime.now(UTC))
    return RedirectResponse(target, status_code=303)


@router.post("/events/{event_id}/signups/{signup_id}/undo-checkin")
def undo_check_in(event_id: EntityId, signup_id: EntityId, session: SessionDep,
                  settings: SettingsDep, user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Take back a check-in made here a few minutes ago, then return to the same row."""
    target = pages.undo_check_in(session, user, event_id, signup_id, form, settings.zone,
                                 datetime.now(UTC))
    return RedirectResponse(target, status_code=303)
