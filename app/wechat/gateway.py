"""The callback pipeline: verify → decrypt → parse → dedupe → bots → render.

Everything member-specific happens in one unit of work (claim, member upsert,
the bot's turn, the stored reply), so a retry either waits for the first
delivery to finish or finds its reply, in this process or another one.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.db import Database
from app.lessons.links import ReadingLinks
from app.members.repository import save_conversation
from app.observability import CALLBACK_SECONDS, CALLBACKS, CALLBACKS_REFUSED, member_ref
from app.rawsql import Opening, RawSQL
from app.wechat import codec
from app.wechat.crypto import DecryptionFailed, MessageCrypto
from app.wechat.inbox import EarlierDelivery, ReplayedNonce, claim, claim_opening, record_reply
from app.wechat.services import conversation_services
from app.wechat.signature import parse_timestamp, signature_matches
from bots import Bot, NewsReply, TextReply, conversation_changed
from bots.ports import WordFilter

log = logging.getLogger("hongxin.callback")

MAX_BODY_BYTES = 64 * 1024
# WeChat waits 5 s; leave room for the network and the response itself.
REPLY_BUDGET_SECONDS = 4.5


class CallbackRefused(Exception):
    """The request is not a genuine, readable callback; ``status`` is what to answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    token: str
    app_id: str
    aes_keys: list[str]
    replay_window_seconds: int
    safe_only: bool
    # How times are shown to members (HONGXIN_TIMEZONE).
    timezone: str = "Asia/Shanghai"
    # Where this service is reachable from members' phones (HONGXIN_PUBLIC_URL).
    public_url: str = "http://127.0.0.1:8000"
    # Signs the lesson links that count a member's reading (app.lessons.links).
    lesson_link_key: str = ""


@dataclass(frozen=True, slots=True)
class _Turn:
    reply_xml: str
    handler: str
    kind: str
    retry: bool


class _Handoff:
    """Decides, exactly once, whether a slow turn's reply goes out passively or later.

    The request side gives up at the budget; the turn checks just before its
    commit. Whoever comes first wins, so a reply is neither lost (returned after
    WeChat stopped listening) nor doubled (sent passively and as a message).
    The turn also looks at the clock itself: it runs on the event loop, where
    the request side's timer cannot fire while the turn computes.
    """

    def __init__(self, deadline: float) -> None:
        self._lock = threading.Lock()
        self._state = "running"
        self._deadline = deadline  # time.monotonic()

    def give_up(self) -> bool:
        with self._lock:
            if self._state == "running":
                self._state = "abandoned"
            return self._state == "abandoned"

    def answer_passively(self) -> bool:
        with self._lock:
            if self._state == "running":
                self._state = "answering" if time.monotonic() < self._deadline else "abandoned"
            return self._state == "answering"


class CallbackGateway:
    def __init__(
        self,
        config: GatewayConfig,
        database: Database,
        bot: Bot,
        words: WordFilter,
        *,
        clock: Callable[[], float] = time.time,
        reply_budget_seconds: float = REPLY_BUDGET_SECONDS,
    ) -> None:
        self._config = config
        self._database = database
        self._bot = bot
        self._words = words
        self._clock = clock
        self._budget = reply_budget_seconds
        self._crypto = MessageCrypto(config.token, config.aes_keys, config.app_id)
        self._zone = ZoneInfo(config.timezone)
        self._links = ReadingLinks(config.public_url, config.lesson_link_key)

    def echo(self, params: Mapping[str, str]) -> str:
        """The URL verification handshake: echo ``echostr`` when the signature holds."""
        self._check_signature(params)
        return params.get("echostr", "")

    async def handle(self, params: Mapping[str, str], body: bytes) -> str:
        """Answer one POST: reply XML, or "success" when there is nothing to say."""
        started = time.perf_counter()
        timestamp, nonce = self._check_signature(params)
        safe_mode = params.get("encrypt_type", "").lower() == "aes"
        if len(body) > MAX_BODY_BYTES:
            raise self._refuse(413, "body_too_large")
        text = self._decode(body)
        key_index = 0
        if safe_mode:
            text, key_index = self._decrypt(params, text, timestamp, nonce)
        elif self._config.safe_only:
            raise self._refuse(403, "plain_mode_refused")
        try:
            envelope = codec.parse_envelope(text)
        except codec.MalformedMessage:
            raise self._refuse(400, "malformed_message") from None

        digest = hashlib.sha256(text.encode()).hexdigest()
        turn = await self._run_turn(envelope, f"{timestamp}:{nonce}", digest)
        elapsed = time.perf_counter() - started
        CALLBACK_SECONDS.observe(elapsed)
        CALLBACKS.labels(turn.kind, turn.handler, "retry" if turn.retry else "handled").inc()
        log.info(
            "callback kind=%s handler=%s member=%s retry=%s mode=%s ms=%.1f",
            turn.kind, turn.handler, member_ref(envelope.incoming.openid), turn.retry,
            "aes" if safe_mode else "plain", elapsed * 1000,
        )
        if not turn.reply_xml:
            return "success"
        if safe_mode:
            return self._crypto.encrypt(turn.reply_xml, key_index, str(int(self._clock())))
        return turn.reply_xml

    @staticmethod
    def _refuse(status: int, reason: str) -> CallbackRefused:
        CALLBACKS_REFUSED.labels(reason).inc()
        return CallbackRefused(status, reason)

    def _check_signature(self, params: Mapping[str, str]) -> tuple[str, str]:
        timestamp, nonce = params.get("timestamp", ""), params.get("nonce", "")
        seconds = parse_timestamp(timestamp)
        if seconds is None or not nonce or len(nonce) > 64:
            raise self._refuse(403, "missing_parameters")
        if not signature_matches((self._config.token, timestamp, nonce), params.get("signature")):
            raise self._refuse(403, "bad_signature")
        if abs(self._clock() - seconds) > self._config.replay_window_seconds:
            raise self._refuse(403, "stale_timestamp")
        return timestamp, nonce

    def _decode(self, body: bytes) -> str:
        try:
            return codec.decode_body(body)
        except codec.MalformedMessage:
            raise self._refuse(400, "malformed_message") from None

    def _decrypt(
        self, params: Mapping[str, str], text: str, timestamp: str, nonce: str
    ) -> tuple[str, int]:
        if not self._crypto.enabled:
            raise self._refuse(403, "safe_mode_not_configured")
        try:
            encrypted = codec.parse_fields(text).get("Encrypt")
        except codec.MalformedMessage:
            raise self._refuse(400, "malformed_message") from None
        if not isinstance(encrypted, str) or not encrypted:
            raise self._refuse(400, "missing_encrypt")
        parts = (self._config.token, timestamp, nonce, encrypted)
        if not signature_matches(parts, params.get("msg_signature")):
            raise self._refuse(403, "bad_msg_signature")
        try:
            plain, key_index = self._crypto.decrypt(encrypted)
        except DecryptionFailed:
            raise self._refuse(400, "undecryptable") from None
        return codec.strip_illegal_xml(plain), key_index

    async def _run_turn(self, envelope: codec.Envelope, nonce_key: str, digest: str) -> _Turn:
        handoff = _Handoff(deadline=time.monotonic() + self._budget)
        now = datetime.fromtimestamp(self._clock(), UTC)
        incoming = envelope.incoming
        opening = None if self._database.is_sqlite else claim_opening(
            dedup_key=envelope.dedup_key, nonce_key=nonce_key, body_digest=digest, now=now,
            openid=incoming.openid, opens_window=envelope.opens_window)

        def work(session: Session) -> _Turn:
            return self._turn(session, envelope, nonce_key, digest, now, opening, handoff)

        loop = asyncio.get_running_loop()
        unit = self._database.submit_batched(work, opening)
        # Plain futures and one timer rather than wait_for(shield(...)): this runs
        # for every callback, and the unit must go on even when we stop waiting.
        answer: asyncio.Future[_Turn] = loop.create_future()
        unit.add_done_callback(lambda done: _settle(answer, done))
        timer = loop.call_later(self._budget, _give_up, answer, handoff, envelope.incoming.kind)
        try:
            return await answer
        except ReplayedNonce:
            raise self._refuse(403, "replayed_nonce") from None
        except Exception:
            # Toward WeChat never a 500: the member would see "service unavailable".
            log.exception("callback failed member=%s", member_ref(envelope.incoming.openid))
            return _Turn("", "error", envelope.incoming.kind, retry=False)
        finally:
            timer.cancel()

    def _turn(
        self,
        session: Session,
        envelope: codec.Envelope,
        nonce_key: str,
        digest: str,
        now: datetime,
        opening: Opening | None,
        handoff: _Handoff,
    ) -> _Turn:
        incoming = envelope.incoming
        sql = RawSQL.of(session)
        member = claim(sql, dedup_key=envelope.dedup_key, nonce_key=nonce_key,
                       body_digest=digest, now=now, openid=incoming.openid,
                       opens_window=envelope.opens_window, opening=opening)
        if isinstance(member, EarlierDelivery):
            return _Turn(member.reply, "retry", incoming.kind, retry=True)
        services = conversation_services(session, sql, self._words, zone=self._zone,
                                         links=self._links)
        outcome = self._bot.handle(incoming, member, services, now)
        if conversation_changed(member.conversation, outcome.conversation):
            save_conversation(sql, member.id, outcome.conversation)
        reply_xml = codec.render_reply(outcome.reply, envelope, now.timestamp())
        if reply_xml and not handoff.answer_passively():
            _queue_late_reply(sql, envelope, member.id, outcome.reply, now)
            reply_xml = ""
        record_reply(sql, envelope.dedup_key, reply_xml)
        return _Turn(reply_xml, outcome.rule, incoming.kind, retry=False)


_QUEUE_LATE_REPLY = """
INSERT INTO outbox (dedup_key, kind, member_id, payload, due_at, status, attempts, created_at)
VALUES (:dedup_key, 'late_reply', :member_id, :payload, :now, 'pending', 0, :now)
ON CONFLICT DO NOTHING
"""


def _queue_late_reply(
    sql: RawSQL,
    envelope: codec.Envelope,
    member_id: int,
    reply: TextReply | NewsReply | None,
    now: datetime,
) -> None:
    if isinstance(reply, TextReply):
        payload: dict[str, object] = {"text": reply.text}
    elif isinstance(reply, NewsReply):
        payload = {"articles": [
            {"title": a.title, "description": a.description, "url": a.url, "picurl": a.image_url}
            for a in reply.articles
        ]}
    else:
        return
    sql.execute(_QUEUE_LATE_REPLY, {"dedup_key": f"late-reply:{envelope.dedup_key}",
                                    "member_id": member_id, "payload": sql.json(payload),
                                    "now": sql.time(now)})


def _settle(answer: asyncio.Future[_Turn], unit: asyncio.Future[_Turn]) -> None:
    if answer.done():
        # We already answered "success"; the unit queued its reply itself.
        if not unit.cancelled() and unit.exception() is not None:
            log.error("deferred callback turn failed", exc_info=unit.exception())
        return
    if unit.cancelled():
        answer.cancel()
    elif unit.exception() is not None:
        answer.set_exception(unit.exception())  # type: ignore[arg-type]
    else:
        answer.set_result(unit.result())


def _give_up(answer: asyncio.Future[_Turn], handoff: _Handoff, kind: str) -> None:
    if not answer.done() and handoff.give_up():
        answer.set_result(_Turn("", "deferred", kind, retry=False))
