"""``申报 描述``: a member claims an offline deed; a photo sent right after joins the claim.

The claim's id is kept beside whatever flow the member is in (a running quiz
stays where it was), for :data:`PHOTO_WINDOW` after the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply

CLAIM_WORDS = ("申报",)
PHOTO_WINDOW = timedelta(minutes=30)
_CLAIM, _CLAIMED_AT = "claim", "claimed_at"


def claim(turn: Turn) -> Reply:
    if turn.services.words.first_banned_word(turn.argument) is not None:
        return TextReply(texts.SENSITIVE_REFUSED)
    receipt = turn.services.claims.submit(turn.member.id, turn.argument, turn.now)
    if receipt.outcome == "unbound":
        return TextReply(texts.CLAIM_UNBOUND)
    if receipt.outcome == "too_long" or receipt.claim_id is None:
        return TextReply(texts.CLAIM_TOO_LONG)
    turn.conversation = {**(turn.conversation or {}), _CLAIM: receipt.claim_id,
                         _CLAIMED_AT: turn.now.isoformat()}
    return TextReply(texts.claim_received(receipt.claim_id))


def claim_without_text(_turn: Turn) -> Reply:
    return TextReply(texts.CLAIM_EMPTY)


def photo(turn: Turn) -> Reply:
    state = turn.conversation or {}
    claim_id, claimed_at = state.get(_CLAIM), state.get(_CLAIMED_AT)
    if not isinstance(claim_id, int) or not isinstance(claimed_at, str):
        return TextReply(texts.FALLBACK)
    if turn.now - datetime.fromisoformat(claimed_at) > PHOTO_WINDOW:
        return TextReply(texts.FALLBACK)
    incoming = turn.incoming
    if not turn.services.claims.attach_photo(turn.member.id, claim_id, incoming.pic_url,
                                             incoming.media_id):
        return TextReply(texts.CLAIM_PHOTO_REFUSED)
    return TextReply(texts.claim_photo_added(claim_id))


def register(bot: Bot) -> None:
    bot.on_command("申报", claim)
    bot.on_keyword(CLAIM_WORDS, claim_without_text)
    bot.on_message("image", photo)
