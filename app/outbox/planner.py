"""Which channel reaches a member now, and why not: pure rules, no I/O.

The platform allows customer-service messages only within 48 hours of the
member's last message, and about 5 of them per such window (45047 after
that). Outside the window only a template message gets through, and only
when a template is configured and the message has template fields.

The daily lesson never takes the template channel: the platform allows
template messages only as service notices that follow from something the
member did (a sign-up's reminder), not as a content push. Outside the window
it cannot be sent at all, so it is not queued (:func:`plan_daily_lesson`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CUSTOM_WINDOW = timedelta(hours=48)
CUSTOM_BUDGET = 5


class Channel(StrEnum):
    CUSTOM = "custom"
    TEMPLATE = "template"


@dataclass(frozen=True, slots=True)
class Reach:
    """What the database knows about a member that decides how to reach them."""

    subscribed: bool
    last_interaction_at: datetime
    custom_sent_in_window: int
    daily_push: bool = False  # the member wants the daily lesson (``订阅``/``退订``)

    def window_closes_at(self) -> datetime:
        return self.last_interaction_at + CUSTOM_WINDOW

    def window_open(self, now: datetime) -> bool:
        return now < self.window_closes_at()


@dataclass(frozen=True, slots=True)
class Plan:
    """The channel to use (``None``: the member cannot be reached) and the reason."""

    channel: Channel | None
    reason: str


def plan(reach: Reach, now: datetime, *, template_id: str | None,
         has_template_data: bool = True) -> Plan:
    """The channel for one message to a member described by ``reach``, at ``now``."""
    if not reach.subscribed:
        return Plan(None, "the member does not follow the account")
    if reach.window_open(now):
        if reach.custom_sent_in_window < CUSTOM_BUDGET:
            used = reach.custom_sent_in_window
            return Plan(Channel.CUSTOM,
                        f"48-hour window open; {used} of {CUSTOM_BUDGET} "
                        "customer-service messages used")
        closed = f"customer-service budget of this window used ({CUSTOM_BUDGET} sent)"
    else:
        closed = "48-hour window closed"
    return fallback(closed, template_id=template_id, has_template_data=has_template_data)


def fallback(closed: str, *, template_id: str | None, has_template_data: bool) -> Plan:
    """The template channel once customer-service messages are out, if it is possible."""
    if not template_id:
        return Plan(None, f"{closed} and HONGXIN_REMINDER_TEMPLATE_ID is not set")
    if not has_template_data:
        return Plan(None, f"{closed} and this message has no template fields")
    return Plan(Channel.TEMPLATE, f"{closed}; template message")


def plan_daily_lesson(reach: Reach, now: datetime) -> Plan:
    """The channel for today's lesson push: customer-service or nothing (see above)."""
    if not reach.subscribed:
        return Plan(None, "the member does not follow the account")
    if not reach.daily_push:
        return Plan(None, "the member opted out of the daily lesson (退订)")
    if not reach.window_open(now):
        return Plan(None, "48-hour window closed; the daily lesson goes only as a "
                          "customer-service message")
    if reach.custom_sent_in_window >= CUSTOM_BUDGET:
        return Plan(None, f"customer-service budget of this window used ({CUSTOM_BUDGET} sent)")
    return Plan(Channel.CUSTOM, "48-hour window open; customer-service message")
