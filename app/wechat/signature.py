"""The platform's SHA-1 signatures, compared in constant time.

wechatpy compares signatures with ``!=``, which leaks how many leading
characters matched; we compute them with hashlib and compare with
:func:`hmac.compare_digest` instead.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(*parts: str) -> str:
    """``signature``/``msg_signature``: SHA-1 of the sorted parts, concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()  # noqa: S324 - the platform's algorithm


def signature_matches(expected_parts: tuple[str, ...], given: str | None) -> bool:
    if not given:
        return False
    return hmac.compare_digest(sign(*expected_parts).encode(), given.encode("utf-8", "replace"))


# Seconds since the epoch need 10 digits until 2286; anything much longer is not
# a timestamp, and int() of it (or of non-ASCII digits such as "²", which
# str.isdigit accepts) would fail or overflow a float in the replay check.
_MAX_TIMESTAMP_DIGITS = 12


def parse_timestamp(raw: str) -> int | None:
    """The callback's ``timestamp`` as seconds, or None when it is not plain ASCII digits."""
    if not raw or len(raw) > _MAX_TIMESTAMP_DIGITS or not (raw.isascii() and raw.isdigit()):
        return None
    return int(raw)
