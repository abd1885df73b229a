from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field


class Reachability(BaseModel):
    """How a message to this member would go out right now, and why."""

    member_id: int
    reachable: bool
    channel: Literal["custom", "template", "subscribe"] | None
    reason: str
    subscribed: bool
    window_open: bool
    window_closes_at: datetime
    customer_service_used: int
    customer_service_left: int
    template_configured: bool
    mini_program: bool = Field(description="the member has used the mini-program")
    subscribe_configured: bool = Field(description="HONGXIN_MP_REMINDER_TEMPLATE_ID is set")
    subscribe_credits: int = Field(
        description="subscribe messages the member accepted and not yet used, for that template")
    daily_push: bool = Field(description="the member wants the daily lesson (订阅/退订)")
    daily_push_reachable: bool = Field(
        description="today's lesson would be sent now (customer-service only)")
    daily_push_reason: str
