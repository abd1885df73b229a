"""Subscribe-message credits: granted by the mini-program, spent one per message.

Only the database counts: a grant is an upsert that adds, a spend is a
conditional UPDATE that succeeds only while a credit is left, so concurrent
dispatchers never spend one credit twice (see :class:`SubscribeCredit`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.dialect import insert_on_conflict
from app.models import SubscribeCredit


def grant(session: Session, member_id: int, template_ids: Sequence[str],
          now: datetime) -> dict[str, int]:
    """Add one credit per accepted template id (repeats count); the credits now held."""
    for template_id, count in Counter(template_ids).items():
        add(session, member_id, template_id, count, now)
    return held(session, member_id)


def add(session: Session, member_id: int, template_id: str, count: int,
        now: datetime) -> None:
    """Add ``count`` credits for one template to what the member holds."""
    upsert = insert_on_conflict(session, SubscribeCredit).values(
        member_id=member_id, template_id=template_id, remaining=count, updated_at=now)
    session.execute(upsert.on_conflict_do_update(
        index_elements=[SubscribeCredit.member_id, SubscribeCredit.template_id],
        set_={"remaining": SubscribeCredit.remaining + upsert.excluded.remaining,
              "updated_at": upsert.excluded.updated_at}))


def held(session: Session, member_id: int) -> dict[str, int]:
    """The member's credits by template id."""
    rows = session.execute(
        select(SubscribeCredit.template_id, SubscribeCredit.remaining)
        .where(SubscribeCredit.member_id == member_id).order_by(SubscribeCredit.template_id)
    ).all()
    return dict(rows)


def spend(session: Session, member_id: int, template_id: str, now: datetime) -> bool:
    """Take one credit; False when none is left."""
    taken = session.execute(
        update(SubscribeCredit)
        .where(SubscribeCredit.member_id == member_id,
               SubscribeCredit.template_id == template_id, SubscribeCredit.remaining > 0)
        .values(remaining=SubscribeCredit.remaining - 1, updated_at=now)
        .returning(SubscribeCredit.remaining)
        .execution_options(synchronize_session=False)
    ).first()
    return taken is not None


def give_back(session: Session, member_id: int, template_id: str, now: datetime) -> None:
    """Return a credit whose message the platform did not take (it failed on the way)."""
    grant(session, member_id, [template_id], now)
