"""Checking an admin or organizer bearer token, with a brake on guessing.

Failed attempts are counted per client address; once an address has failed
:data:`FAILURES` times in a window, its next requests are refused with 429
before their token is even looked at, so a guesser learns nothing more, while
the same token from another address still works.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from app.auth.tokens import Principal, hash_token, principal_for_hash
from app.errors import AppError, Unauthorized
from app.ratelimit import counter as ratelimit

# Scripts that call the API with a good token never fail; a person pasting the wrong
# one fails a few times. Twenty in ten minutes stalls a guesser long before luck helps.
FAILURES = ratelimit.Limit("bearer_failures", max_hits=20, window=timedelta(minutes=10))
_CHALLENGE = {"WWW-Authenticate": "Bearer"}


def missing_token() -> Unauthorized:
    return Unauthorized("an Authorization: Bearer token is required", headers=_CHALLENGE)


def authenticate(session: Session, token: str, bootstrap_token: str | None, address: str,
                 now: datetime) -> Principal | AppError:
    """The principal for ``token``, or the error to answer with (returned, not raised,
    so that the unit of work commits the failure's count)."""
    standing = ratelimit.standing(session, FAILURES, address, now)
    if not standing.allowed:
        return ratelimit.refusal(standing, "too many failed sign-ins from this address; "
                                           "wait before trying again")
    principal = principal_for_hash(session, hash_token(token), bootstrap_token, now)
    if principal is None:
        ratelimit.hit(session, FAILURES, address, now)
        return Unauthorized("unknown or revoked token", headers=_CHALLENGE)
    return principal
