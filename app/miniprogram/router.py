"""``/api/mp``: the mini-program's login (other mini-program routes live with their slices)."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import partial

from fastapi import APIRouter, Request

from app.deps import DatabaseDep, SettingsDep
from app.errors import AppError, Unauthorized, errors_answered
from app.members.merge import run_linking
from app.miniprogram.schemas import LoginIn, LoginOut
from app.miniprogram.service import count_login, open_session
from app.ratelimit import counter as ratelimit
from app.ratelimit.deps import ClientAddress
from app.wechat.api import PermanentError, TransientError, WeChatAPI

router = APIRouter(prefix="/api/mp", tags=["mini-program"])


class UpstreamUnavailable(AppError):
    status, code = 503, "upstream_unavailable"


@router.post("/login", response_model=LoginOut, responses=errors_answered(401, 429, 503))
async def login(body: LoginIn, request: Request, database: DatabaseDep,
                settings: SettingsDep, address: ClientAddress) -> LoginOut:
    """Exchange a ``wx.login`` code for a Hongxin bearer token (429 when an address loops)."""
    # Its own unit of work before the WeChat call: failed logins must count too.
    verdict = await database.run(partial(count_login, address=address, now=datetime.now(UTC)))
    if not verdict.allowed:
        raise ratelimit.refusal(verdict, "too many logins from this address; try again later")
    mp_api: WeChatAPI = request.app.state.mp_api
    try:
        answer = await mp_api.jscode2session(body.code)
    except PermanentError:
        raise Unauthorized("the login code was refused by WeChat") from None
    except TransientError:
        raise UpstreamUnavailable("WeChat did not answer; try again") from None
    issued = await run_linking(database.run, partial(
        open_session, openid=answer.openid, unionid=answer.unionid, now=datetime.now(UTC),
        zone=settings.zone))
    return LoginOut(token=issued.token, expires_at=issued.expires_at)
