"""The member's own profile, as the chat changes it."""

from __future__ import annotations

from app import callback_sql
from app.rawsql import RawSQL


class MemberProfiles:
    """:class:`bots.ports.MemberProfiles` inside the current unit of work."""

    def __init__(self, sql: RawSQL) -> None:
        self._sql = sql

    def set_profile_field(self, member_id: int, field: str, value: str) -> None:
        if field not in ("name", "phone", "branch"):
            raise ValueError(f"not a profile field: {field}")
        callback_sql.set_member_field(self._sql, member_id, field, value)

    def set_subscribed(self, member_id: int, subscribed: bool) -> None:
        callback_sql.set_member_field(self._sql, member_id, "subscribed", subscribed)
