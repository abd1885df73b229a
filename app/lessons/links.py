"""Lesson page links that name the member who was given them.

Chat replies and the daily push link to ``/lessons/{id}?r=<token>``; opening
the page counts the reading for the member in the token. The token is signed
(itsdangerous) with a key derived from the official account's app secret, so
nobody can count readings for someone else, and it carries the member's
internal id, never the openid.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import quote

from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.settings import Settings

# A member may open a link from the chat history days later and still be counted.
LINK_LIFETIME = timedelta(days=30)
READER_QUERY_NAME = "r"


def link_key(settings: Settings) -> str:
    """The signing key, derived so that the app secret itself never signs anything public."""
    return hmac.new(settings.wechat_app_secret.get_secret_value().encode(),
                    b"hongxin lesson links v1", hashlib.sha256).hexdigest()


@dataclass(frozen=True, slots=True)
class ReadingLinks:
    public_url: str
    key: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ReadingLinks:
        return cls(settings.public_url, link_key(settings))

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.key, salt="lesson-reading")

    def page(self, lesson_id: int) -> str:
        return f"{self.public_url.rstrip('/')}/lessons/{lesson_id}"

    def for_member(self, lesson_id: int, member_id: int) -> str:
        token = self._serializer().dumps([member_id, lesson_id])
        return f"{self.page(lesson_id)}?{READER_QUERY_NAME}={quote(str(token))}"

    def member(self, lesson_id: int, token: str) -> int | None:
        """The member a token names for this lesson; None when forged, expired or for another."""
        try:
            loaded = self._serializer().loads(token, max_age=int(LINK_LIFETIME.total_seconds()))
        except BadSignature:  # SignatureExpired is one too
            return None
        if (not isinstance(loaded, list) or len(loaded) != 2
                or not all(type(value) is int for value in loaded)):
            return None
        member_id, for_lesson = loaded
        return member_id if for_lesson == lesson_id else None
