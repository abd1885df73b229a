"""What a conversation sees: a member's message in, a reply out.

These are the engine's own types. The WeChat edge converts the platform's XML
into :class:`Incoming` and renders :data:`Reply` back, so nothing here knows
about XML, HTTP or storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message or event from a member.

    ``kind`` is the platform's MsgType (``text``, ``image``, ``event`` …);
    ``event`` is the lower-cased Event for events (``subscribe``, ``scan``,
    ``click`` …) and ``event_key`` its EventKey, with the ``qrscene_`` prefix
    of a scan-to-subscribe already removed. An ``image`` carries the picture's
    ``pic_url`` and ``media_id`` as the platform gives them.
    """

    openid: str
    kind: str
    sent_at: datetime
    text: str = ""
    event: str = ""
    event_key: str = ""
    pic_url: str = ""
    media_id: str = ""


@dataclass(frozen=True, slots=True)
class Article:
    title: str
    description: str
    url: str
    image_url: str = ""


@dataclass(frozen=True, slots=True)
class TextReply:
    text: str


@dataclass(frozen=True, slots=True)
class NewsReply:
    articles: tuple[Article, ...]


# None means there is nothing to say: the edge answers WeChat with "success".
Reply = TextReply | NewsReply | None


@dataclass(frozen=True, slots=True)
class MemberView:
    """The member as the conversation knows them at the start of a turn."""

    id: int
    openid: str
    name: str | None = None
    phone: str | None = None
    branch: str | None = None
    subscribed: bool = True
    daily_push: bool = True
    # Free-form, JSON-serialisable dialog state owned by whichever flow is running.
    conversation: Mapping[str, Any] | None = field(default=None)
