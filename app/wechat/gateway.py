"""The callback edge: verify → decrypt → parse → take the member's turn → render.

It knows WeChat's side of a callback (signatures, encryption, XML) and nothing
of storage: the turn, with its deduplication and its reply kept for retries,
is :class:`app.conversations.turn.Conversations`' business.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from app.conversations.turn import (
    Conversations,
    Delivery,
    ReplayedNonce,
    ReplyDeadline,
    TurnResult,
)
from app.observability import CALLBACK_SECONDS, CALLBACKS, CALLBACKS_REFUSED, member_ref
from app.wechat import codec
from app.wechat.crypto import DecryptionFailed, MessageCrypto
from app.wechat.signature import parse_timestamp, signature_matches
from bots import Reply

log = logging.getLogger("hongxin.callback")

MAX_BODY_BYTES = 64 * 1024
# WeChat waits 5 s; leave room for the network and the response itself.
REPLY_BUDGET_SECONDS = 4.5
# A callback slower than this is logged like a failed one: it is worth a look.
# Less than the budget, so a reply that missed it is always one of them.
SLOW_CALLBACK_SECONDS = 1.0


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


class CallbackGateway:
    def __init__(
        self,
        config: GatewayConfig,
        conversations: Conversations,
        *,
        clock: Callable[[], float] = time.time,
        reply_budget_seconds: float = REPLY_BUDGET_SECONDS,
    ) -> None:
        self._config = config
        self._conversations = conversations
        self._clock = clock
        self._budget = reply_budget_seconds
        self._crypto = MessageCrypto(config.token, config.aes_keys, config.app_id)

    def echo(self, params: Mapping[str, str]) -> str:
        """The URL verification handshake: echo ``echostr`` when the signature holds."""
        self._check_signature(params)
        return params.get("echostr", "")

    async def handle(self, params: Mapping[str, str], body: bytes) -> str:
        """Answer one POST: reply XML, or "success" when there is nothing to say."""
        started = time.perf_counter()
        timestamp, nonce = self._check_signature(params)
        safe_mode = params.get("encrypt_type", "").lower() == "aes"
        text, key_index = self._read_body(params, body, timestamp, nonce, safe_mode=safe_mode)
        envelope = self._parse(text)
        now = datetime.fromtimestamp(self._clock(), UTC)
        delivery = Delivery(
            incoming=envelope.incoming, dedup_key=envelope.dedup_key,
            nonce_key=f"{timestamp}:{nonce}", body_digest=hashlib.sha256(text.encode()).hexdigest(),
            opens_window=envelope.opens_window, received_at=now)
        render = partial(codec.render_reply, envelope=envelope, now=now.timestamp())
        turn = await self._take_turn_in_time(delivery, render)
        self._observe(envelope, turn, safe_mode=safe_mode, seconds=time.perf_counter() - started)
        if not turn.reply_xml:
            return "success"
        if safe_mode:
            return self._crypto.encrypt(turn.reply_xml, key_index, str(int(self._clock())))
        return turn.reply_xml

    async def _take_turn_in_time(
        self, delivery: Delivery, render: Callable[[Reply], str]
    ) -> TurnResult:
        """The turn's result, or "deferred" when it misses the budget and replies later."""
        deadline = ReplyDeadline(self._budget)
        turn = asyncio.ensure_future(self._conversations.take_turn(delivery, render, deadline))
        try:
            try:
                # Shielded: the turn goes on when we stop waiting, and queues its reply.
                return await asyncio.wait_for(asyncio.shield(turn), self._budget)
            except TimeoutError:
                if deadline.give_up():
                    turn.add_done_callback(_log_failure)
                    return TurnResult("", "deferred")
                return await turn  # it is committing a reply for the response
        except ReplayedNonce:
            raise self._refuse(403, "replayed_nonce") from None
        except Exception:
            # Toward WeChat never a 500: the member would see "service unavailable".
            log.exception("callback failed member=%s", member_ref(delivery.incoming.openid))
            return TurnResult("", "error")

    @staticmethod
    def _observe(envelope: codec.Envelope, turn: TurnResult, *, safe_mode: bool,
                 seconds: float) -> None:
        kind = envelope.incoming.kind
        CALLBACK_SECONDS.observe(seconds)
        CALLBACKS.labels(kind, turn.rule, "retry" if turn.retry else "handled").inc()
        # The metrics count and time every callback. A log line each, at the rate
        # members send them, cost the callback a share of its throughput worth
        # keeping (bench/NOTES.md), so only those worth a second look are logged
        # at INFO: retries, failures and slow ones (a reply sent later is slow);
        # the routine ones at DEBUG.
        routine = not turn.retry and turn.rule != "error" and seconds < SLOW_CALLBACK_SECONDS
        level = logging.DEBUG if routine else logging.INFO
        if not log.isEnabledFor(level):
            return
        log.log(
            level, "callback kind=%s handler=%s member=%s retry=%s mode=%s ms=%.1f",
            kind, turn.rule, member_ref(envelope.incoming.openid), turn.retry,
            "aes" if safe_mode else "plain", seconds * 1000,
        )

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

    def _read_body(self, params: Mapping[str, str], body: bytes, timestamp: str, nonce: str,
                   *, safe_mode: bool) -> tuple[str, int]:
        """The message's XML text, decrypted in safe mode, and the index of the AES key used."""
        if len(body) > MAX_BODY_BYTES:
            raise self._refuse(413, "body_too_large")
        try:
            text = codec.decode_body(body)
        except codec.MalformedMessage:
            raise self._refuse(400, "malformed_message") from None
        if safe_mode:
            return self._decrypt(params, text, timestamp, nonce)
        if self._config.safe_only:
            raise self._refuse(403, "plain_mode_refused")
        return text, 0

    def _parse(self, text: str) -> codec.Envelope:
        try:
            return codec.parse_envelope(text)
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


def _log_failure(turn: asyncio.Future[TurnResult]) -> None:
    """A turn nobody waits for any more: its failure would otherwise go unseen."""
    if not turn.cancelled() and turn.exception() is not None:
        log.error("deferred callback turn failed", exc_info=turn.exception())
