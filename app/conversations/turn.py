"""A member's turn: claim the delivery, run the bot, store the reply, in one unit of work.

The claim, the member's row, whatever the bot's handler changes and the reply
kept for WeChat's retries commit together or not at all, so a retry either
waits for the first delivery to finish or finds its reply, in this process or
another one. The unit may run twice (see :meth:`Database.run_callback`); it has
no effect outside its transaction, so running again only repeats it. The
claim is the unit's first declared statement, and so is the read the answer
will probably need (``积分``'s): on PostgreSQL those of the turns committed
together go out in one round trip.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.callback_sql import Claim, save_conversation
from app.conversations.inbox import EarlierDelivery, ReplayedNonce, claim, record_reply
from app.conversations.ports import DeclaredReads, bot_services
from app.db import Database
from app.lessons.links import ReadingLinks
from app.outbox.service import enqueue
from app.rawsql import RawSQL
from bots import Bot, Incoming, NewsReply, Reply, TextReply, conversation_changed

__all__ = ["Conversations", "Delivery", "ReplayedNonce", "ReplyDeadline", "TurnResult"]

LATE_REPLY = "late_reply"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One delivery of a member's message or event, as the edge received it."""

    incoming: Incoming
    dedup_key: str  # the same for WeChat's retries of one message
    nonce_key: str  # "timestamp:nonce" of this delivery
    body_digest: str
    opens_window: bool  # whether it opens the 48-hour customer-service window
    received_at: datetime


@dataclass(frozen=True, slots=True)
class TurnResult:
    reply_xml: str  # "" when the response says nothing ("success")
    rule: str  # the bot's rule that answered; "retry", "deferred" or "error" otherwise
    retry: bool = False


class ReplyDeadline:
    """Decides, once, whether a reply goes back in the HTTP response or through the outbox.

    The request side gives up when the budget is spent; the turn asks just
    before its commit. Whoever comes first wins, so a reply is neither lost
    (returned after WeChat stopped listening) nor sent twice. The turn also
    reads the clock itself: on SQLite it runs on the event loop, where the
    request side's timer cannot fire meanwhile.
    """

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._at = time.monotonic() + seconds
        self._decided: str | None = None

    def give_up(self) -> bool:
        """The request side: True when the reply will go through the outbox."""
        with self._lock:
            self._decided = self._decided or "outbox"
            return self._decided == "outbox"

    def reply_in_response(self) -> bool:
        """The turn: True when its reply still goes back in the HTTP response."""
        with self._lock:
            if self._decided is None:
                self._decided = "response" if time.monotonic() < self._at else "outbox"
            return self._decided == "response"


class Conversations:
    """Runs members' turns against the bot, each in a unit of work of its own."""

    def __init__(self, database: Database, bot: Bot, *, zone: ZoneInfo,
                 links: ReadingLinks) -> None:
        self._database = database
        self._bot = bot
        self._zone = zone
        self._links = links  # news replies need absolute, member-signed links

    def take_turn(self, delivery: Delivery, render: Callable[[Reply], str],
                  deadline: ReplyDeadline) -> Awaitable[TurnResult]:
        """Start the turn; ``render`` turns the bot's reply into passive-reply XML.

        It goes on when its caller stops waiting: a reply that misses the
        deadline is queued in the outbox.
        """
        request = Claim(dedup_key=delivery.dedup_key, nonce_key=delivery.nonce_key,
                        body_digest=delivery.body_digest, now=delivery.received_at,
                        openid=delivery.incoming.openid, opens_window=delivery.opens_window)
        reads = DeclaredReads.of(self._bot.reads_ahead(delivery.incoming),
                                 delivery.incoming.openid)
        return self._database.run_callback(
            partial(self._turn, delivery, request, reads, render, deadline),
            declared=(request.statement, *reads.statements))

    def _turn(self, delivery: Delivery, request: Claim, reads: DeclaredReads,
              render: Callable[[Reply], str], deadline: ReplyDeadline,
              session: Session) -> TurnResult:
        sql = RawSQL.of(session)
        member = claim(sql, request)
        if isinstance(member, EarlierDelivery):
            return TurnResult(member.reply, "retry", retry=True)
        services = bot_services(session, sql, zone=self._zone, links=self._links,
                                member_id=member.id, declared=reads)
        outcome = self._bot.handle(delivery.incoming, member, services, delivery.received_at)
        if conversation_changed(member.conversation, outcome.conversation):
            save_conversation(sql, member.id, outcome.conversation)
        reply_xml = render(outcome.reply)
        if reply_xml and not deadline.reply_in_response():
            _queue_late_reply(session, delivery, member.id, outcome.reply)
            reply_xml = ""
        record_reply(sql, delivery.dedup_key, reply_xml)
        return TurnResult(reply_xml, outcome.rule)


def _queue_late_reply(session: Session, delivery: Delivery, member_id: int,
                      reply: Reply) -> None:
    if isinstance(reply, TextReply):
        payload: dict[str, object] = {"text": reply.text}
    elif isinstance(reply, NewsReply):
        payload = {"articles": [
            {"title": a.title, "description": a.description, "url": a.url, "picurl": a.image_url}
            for a in reply.articles
        ]}
    else:
        return
    now = delivery.received_at
    enqueue(session, dedup_key=f"late-reply:{delivery.dedup_key}", kind=LATE_REPLY,
            member_id=member_id, payload=payload, due_at=now, now=now)
