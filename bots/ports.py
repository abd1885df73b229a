"""What the conversation engine needs from the outside world, as Protocols.

The service implements these over the database; tests use in-memory fakes.
Each feature adds its own port here rather than reaching for storage itself.
"""

from __future__ import annotations

from typing import Protocol


class MemberProfiles(Protocol):
    def set_profile_field(self, member_id: int, field: str, value: str) -> None:
        """Store ``name``, ``phone`` or ``branch`` for the member."""

    def set_subscribed(self, member_id: int, subscribed: bool) -> None:
        """Record a follow or unfollow of the official account."""


class WordFilter(Protocol):
    def first_banned_word(self, text: str) -> str | None:
        """The first sensitive word found in ``text``, or None when it is clean."""
