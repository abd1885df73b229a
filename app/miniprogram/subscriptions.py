"""``/api/mp/subscriptions``: subscribe messages the member accepted in the mini-program."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, Field, StringConstraints

from app.deps import SessionDep
from app.miniprogram.deps import CurrentMember
from app.outbox import credits

router = APIRouter(prefix="/api/mp", tags=["mini-program"])

# The platform's template ids: letters, digits, '-' and '_' (43 characters today).
TemplateId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class SubscriptionsIn(BaseModel):
    """The template ids ``wx.requestSubscribeMessage`` reported as ``accept``."""

    # The platform asks for at most 3 templates at once; a few calls' worth is plenty.
    template_ids: list[TemplateId] = Field(min_length=1, max_length=20)


class SubscriptionsOut(BaseModel):
    credits: dict[str, int] = Field(description="messages each template may still send "
                                                "to the member")


@router.post("/subscriptions", response_model=SubscriptionsOut, status_code=200)
def accept_subscriptions(body: SubscriptionsIn, member: CurrentMember,
                         session: SessionDep) -> SubscriptionsOut:
    """Record one-time subscribe messages the member accepted: one credit per template id."""
    return SubscriptionsOut(
        credits=credits.grant(session, member.id, body.template_ids, datetime.now(UTC)))
