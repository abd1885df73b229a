"""Which channel reaches a member now, and why not: pure rules, no I/O.

The platform allows customer-service messages only within 48 hours of the
member's last message, and about 5 of them per such window (45047 after
that). Outside the window only a template message gets through, and only
when a template is configured and the message has template fields.

A member the account cannot reach that way (one who does not follow it, or
with no template configured) may still have accepted one-time subscribe
messages in the mini-program (``wx.requestSubscribeMessage``): each credit
for ``HONGXIN_MP_REMINDER_TEMPLATE_ID`` lets one message with template
fields go out as a mini-program subscribe message.

The daily lesson never takes the template or subscribe channel: the platform allows
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
    SUBSCRIBE = "subscribe"


@dataclass(frozen=True, slots=True)
class Reach:
    """What the database knows about a member that decides how to reach them."""

    subscribed: bool
    last_interaction_at: datetime
    custom_sent_in_window: int
    daily_push: bool = False  # the member wants the daily lesson (``订阅``/``退订``)
    mini_program: bool = False  # the member has a mini-program openid
    subscribe_credits: int = 0  # subscribe messages accepted for the reminder template

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
         subscribe_template_id: str | None = None, has_template_data: bool = True) -> Plan:
    """The channel for one message to a member described by ``reach``, at ``now``."""
    if not reach.subscribed:
        return subscribe_fallback("the member does not follow the account", reach,
                                  subscribe_template_id=subscribe_template_id,
                                  has_template_data=has_template_data)
    if reach.window_open(now):
        if reach.custom_sent_in_window < CUSTOM_BUDGET:
            used = reach.custom_sent_in_window
            return Plan(Channel.CUSTOM,
                        f"48-hour window open; {used} of {CUSTOM_BUDGET} "
                        "customer-service messages used")
        closed = f"customer-service budget of this window used ({CUSTOM_BUDGET} sent)"
    else:
        closed = "48-hour window closed"
    return fallback(closed, reach, template_id=template_id,
                    subscribe_template_id=subscribe_template_id,
                    has_template_data=has_template_data)


def fallback(closed: str, reach: Reach, *, template_id: str | None,
             subscribe_template_id: str | None, has_template_data: bool) -> Plan:
    """The template channel once customer-service messages are out, else a subscribe message."""
    if not has_template_data:
        return Plan(None, f"{closed} and this message has no template fields")
    if not template_id:
        return subscribe_fallback(f"{closed} and HONGXIN_REMINDER_TEMPLATE_ID is not set",
                                  reach, subscribe_template_id=subscribe_template_id,
                                  has_template_data=has_template_data)
    return Plan(Channel.TEMPLATE, f"{closed}; template message")


def subscribe_fallback(why_not: str, reach: Reach, *, subscribe_template_id: str | None,
                       has_template_data: bool) -> Plan:
    """A mini-program subscribe message when the account's channels cannot be used."""
    if not has_template_data:
        return Plan(None, f"{why_not}; this message has no template fields")
    if not reach.mini_program:
        return Plan(None, f"{why_not}; the member has not used the mini-program")
    if not subscribe_template_id:
        return Plan(None, f"{why_not}; HONGXIN_MP_REMINDER_TEMPLATE_ID is not set")
    if reach.subscribe_credits <= 0:
        return Plan(None, f"{why_not}; no subscribe-message credits left")
    return Plan(Channel.SUBSCRIBE, f"{why_not}; mini-program subscribe message "
                                   f"({reach.subscribe_credits} credits left)")


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
