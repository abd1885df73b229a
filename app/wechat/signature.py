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
