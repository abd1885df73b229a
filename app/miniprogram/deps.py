"""``CurrentMember``: the member a mini-program bearer token belongs to.

Use it in any ``/api/mp/…`` route; a missing, unknown or expired token is 401.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request

from app.deps import SessionDep, bearer_token
from app.errors import Unauthorized
from app.miniprogram.service import member_for_token
from app.models.member import Member


def get_current_member(request: Request, session: SessionDep) -> Member:
    token = bearer_token(request)
    if token is None:
        raise Unauthorized("log in with POST /api/mp/login first",
                           headers={"WWW-Authenticate": "Bearer"})
    member = member_for_token(session, token, datetime.now(UTC))
    if member is None:
        raise Unauthorized("unknown or expired session token",
                           headers={"WWW-Authenticate": "Bearer"})
    return member


CurrentMember = Annotated[Member, Depends(get_current_member)]
