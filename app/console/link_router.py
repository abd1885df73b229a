"""Sign-in by a one-time link from WeChat (``后台``): open it, press the button, you are in."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import HTMLResponse

from app.console import links
from app.console.router import login_form, signed_in
from app.console.session import LOGIN_COOKIE, login_nonce_matches
from app.deps import SessionDep, SettingsDep
from app.ratelimit.counter import Verdict
from app.ratelimit.deps import ClientAddress

router = APIRouter(prefix=links.LINK_PATH, tags=["console"])
# token_urlsafe(32) gives 43 characters; anything much longer is not one of ours.
LinkCode = Annotated[str, Path(min_length=16, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")]
_SPENT = ("这个登录链接已失效：链接只能使用一次，且在发出 5 分钟后过期。"
          "请在公众号重新发送“后台”获取新链接。")


def _link_page(request: Request, settings: SettingsDep, code: str, error: str | None,
               status_code: int = 200) -> HTMLResponse:
    return login_form(request, settings, "login_link.html",
                      {"code": code, "error": error, "spent": error == _SPENT}, status_code)


@router.get("/{code}", response_class=HTMLResponse)
def link_page(request: Request, code: LinkCode, session: SessionDep,
              settings: SettingsDep) -> HTMLResponse:
    """The page a ``后台`` link opens: a button that signs in (opening alone spends nothing)."""
    if not links.usable(session, code, datetime.now(UTC)):
        return _link_page(request, settings, code, _SPENT, status_code=410)
    return _link_page(request, settings, code, None)


@router.post("/{code}", response_class=HTMLResponse)
def link_sign_in(request: Request, code: LinkCode, session: SessionDep, settings: SettingsDep,
                 address: ClientAddress,
                 csrf: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Spend the link and open a console session with its holder's role and scope."""
    if not login_nonce_matches(settings, request.cookies.get(LOGIN_COOKIE), csrf):
        return _link_page(request, settings, code, "页面已过期，请重新打开链接后再按登录。",
                          status_code=403)
    signed = links.sign_in(session, settings, code, address, datetime.now(UTC))
    if isinstance(signed, Verdict):
        minutes = -(-signed.retry_after // 60)
        refused = _link_page(request, settings, code,
                             f"登录失败次数过多，请 {minutes} 分钟后再试。", status_code=429)
        refused.headers["Retry-After"] = str(signed.retry_after)
        return refused
    if signed is None:
        return _link_page(request, settings, code, _SPENT, status_code=410)
    return signed_in(request, settings, signed)
