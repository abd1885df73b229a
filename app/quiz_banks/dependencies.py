"""The admin check for uploads, which must not keep the request's transaction open."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.deps import CurrentUnscopedAdmin, Principal, SessionDep


def admin_then_end_transaction(principal: CurrentUnscopedAdmin, session: SessionDep) -> Principal:
    """The admin, with the transaction that checked the token ended.

    An import runs its own short transactions for many seconds. Had the
    token been looked up in the database, the request's transaction would
    stay open meanwhile: on SQLite it began with the write lock and holds the
    only pooled connection, which the import's own transactions then wait for.
    """
    session.commit()
    return principal


AdminForImport = Annotated[Principal, Depends(admin_then_end_transaction)]
