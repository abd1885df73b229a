"""In-memory stand-ins for the ports in bots.ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bots import Incoming, MemberView, Outcome, Services, build_bot


@dataclass
class FakeProfiles:
    fields: dict[tuple[int, str], str] = field(default_factory=dict)
    subscribed: dict[int, bool] = field(default_factory=dict)

    def set_profile_field(self, member_id: int, name: str, value: str) -> None:
        self.fields[(member_id, name)] = value

    def set_subscribed(self, member_id: int, subscribed: bool) -> None:
        self.subscribed[member_id] = subscribed


@dataclass
class FakeWords:
    banned: tuple[str, ...] = ("博彩",)

    def first_banned_word(self, text: str) -> str | None:
        return next((word for word in self.banned if word in text), None)


NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@dataclass
class Conversation:
    """Feeds messages from one member through a fresh bot and keeps its state between turns."""

    member: MemberView = field(default_factory=lambda: MemberView(id=7, openid="o_7"))
    profiles: FakeProfiles = field(default_factory=FakeProfiles)
    words: FakeWords = field(default_factory=FakeWords)

    def __post_init__(self) -> None:
        self.bot = build_bot()

    def send(self, text: str) -> Outcome:
        return self._handle(Incoming(self.member.openid, "text", NOW, text=text))

    def event(self, event: str, key: str = "") -> Outcome:
        return self._handle(Incoming(self.member.openid, "event", NOW, event=event, event_key=key))

    def other(self, kind: str) -> Outcome:
        return self._handle(Incoming(self.member.openid, kind, NOW))

    def _handle(self, incoming: Incoming) -> Outcome:
        outcome = self.bot.handle(incoming, self.member, Services(self.profiles, self.words), NOW)
        self.member = MemberView(**{**_fields(self.member), "conversation": outcome.conversation})
        return outcome


def _fields(member: MemberView) -> dict[str, object]:
    return {name: getattr(member, name) for name in member.__slots__}  # type: ignore[attr-defined]
