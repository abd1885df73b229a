"""In-memory stand-ins for the ports in bots.ports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from bots import Incoming, MemberView, Outcome, Services, build_bot
from bots.ports import (
    BindResult,
    CancelOutcome,
    CheckinResult,
    ClaimReceipt,
    ConsoleLink,
    EventSummary,
    LeaveResult,
    MySignup,
    PushState,
    RosterCard,
    SignupResult,
)
from tests.bots.learning_fakes import FakeLessons, FakePoints, FakeQuiz


@dataclass
class FakeProfiles:
    fields: dict[tuple[int, str], str] = field(default_factory=dict)
    subscribed: dict[int, bool] = field(default_factory=dict)

    def set_profile_field(self, member_id: int, name: str, value: str) -> None:
        self.fields[(member_id, name)] = value

    def set_subscribed(self, member_id: int, subscribed: bool) -> None:
        self.subscribed[member_id] = subscribed


@dataclass
class FakeMeetings:
    """Meetings the member is expected at (``expected``); leave is granted once asked."""

    expected: dict[int, EventSummary] = field(default_factory=dict)
    leave: dict[tuple[int, int], str] = field(default_factory=dict)

    def request_leave(self, member_id: int, event_id: int, reason: str,
                      now: datetime) -> LeaveResult:
        if not reason:
            return LeaveResult("empty_reason")
        event = self.expected.get(event_id)
        if event is None:
            return LeaveResult("unknown")
        self.leave[(event_id, member_id)] = reason
        return LeaveResult("granted", event, "支部党员大会")


@dataclass
class FakePush:
    """The daily push flag; the window is open until ``open_until`` (None: closed)."""

    enabled: dict[int, bool] = field(default_factory=dict)
    open_until: datetime | None = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)

    def state(self, member_id: int, now: datetime) -> PushState:
        on = self.enabled.get(member_id, True)
        return PushState(on, self.open_until if on else None)

    def set_enabled(self, member_id: int, enabled: bool, now: datetime) -> PushState:
        self.enabled[member_id] = enabled
        return self.state(member_id, now)


@dataclass
class FakeWords:
    banned: tuple[str, ...] = ("博彩",)

    def first_banned_word(self, text: str) -> str | None:
        return next((word for word in self.banned if word in text), None)


NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)


@dataclass
class FakeRoster:
    """Entries by phone, bindings by member id, and a count of attempts per member."""

    entries: dict[str, RosterCard] = field(default_factory=dict)
    bound: dict[int, str] = field(default_factory=dict)  # member id -> phone
    attempts: dict[int, int] = field(default_factory=dict)
    erased: list[int] = field(default_factory=list)
    max_attempts: int = 5

    def add(self, name: str, phone: str, org: str = "机关党委/第一党支部",
            status: str = "正式党员") -> None:
        self.entries[phone] = RosterCard(name, phone, org, status)

    def binding(self, member_id: int) -> RosterCard | None:
        phone = self.bound.get(member_id)
        return self.entries[phone] if phone is not None else None

    def bind(self, member_id: int, name: str, phone: str, now: datetime) -> BindResult:
        mine = self.binding(member_id)
        if mine is not None:
            return BindResult("already_bound", mine)
        self.attempts[member_id] = self.attempts.get(member_id, 0) + 1
        if self.attempts[member_id] > self.max_attempts:
            return BindResult("rate_limited")
        entry = self.entries.get(phone)
        if entry is None or entry.name != name:
            return BindResult("no_match")
        if phone in self.bound.values():
            return BindResult("taken", entry)
        self.bound[member_id] = phone
        return BindResult("bound", entry)

    def erase(self, member_id: int, now: datetime) -> None:
        self.bound.pop(member_id, None)
        self.erased.append(member_id)


@dataclass
class FakeEvents:
    """Seats, a waitlist and check-ins for events kept in memory; times are taken as local."""

    events: dict[int, EventSummary] = field(default_factory=dict)
    confirmed: dict[int, list[int]] = field(default_factory=dict)
    waitlist: dict[int, list[int]] = field(default_factory=dict)
    checked_in: set[tuple[int, int]] = field(default_factory=set)
    closed: set[int] = field(default_factory=set)
    # Members who signed up or cancelled too often just now.
    rate_limited: set[int] = field(default_factory=set)

    def add(self, event_id: int, title: str = "主题党日", capacity: int = 2,
            starts_at: datetime = datetime(2026, 11, 29, 14, 0, tzinfo=UTC)) -> None:
        self.events[event_id] = EventSummary(event_id, title, "党员活动室", starts_at, capacity,
                                             capacity)
        self.confirmed[event_id], self.waitlist[event_id] = [], []

    def _view(self, event_id: int) -> EventSummary:
        event = self.events[event_id]
        left = event.capacity - len(self.confirmed[event_id])
        return EventSummary(event.id, event.title, event.location, event.starts_at,
                            event.capacity, left)

    def upcoming(self, now: datetime) -> list[EventSummary]:
        return [self._view(i) for i in sorted(self.events) if self.events[i].starts_at > now]

    def sign_up(self, member_id: int, event_id: int, now: datetime) -> SignupResult:
        if member_id in self.rate_limited:
            return SignupResult("rate_limited")
        if event_id not in self.events:
            return SignupResult("unknown")
        view = self._view(event_id)
        if event_id in self.closed:
            return SignupResult("deadline_passed", view)
        if view.starts_at <= now:
            return SignupResult("started", view)
        if member_id in self.confirmed[event_id]:
            return SignupResult("already_confirmed", view)
        if member_id in self.waitlist[event_id]:
            return SignupResult("already_waitlisted", view,
                                self.waitlist[event_id].index(member_id) + 1)
        if view.seats_left > 0:
            self.confirmed[event_id].append(member_id)
            return SignupResult("confirmed", self._view(event_id))
        self.waitlist[event_id].append(member_id)
        return SignupResult("waitlisted", view, len(self.waitlist[event_id]))

    def cancel(self, member_id: int, event_id: int, now: datetime) -> CancelOutcome:
        if member_id in self.rate_limited:
            return "rate_limited"
        if event_id not in self.events:
            return "unknown"
        if member_id in self.waitlist[event_id]:
            self.waitlist[event_id].remove(member_id)
            return "cancelled"
        if member_id not in self.confirmed[event_id]:
            return "not_signed_up"
        self.confirmed[event_id].remove(member_id)
        if self.waitlist[event_id]:
            self.confirmed[event_id].append(self.waitlist[event_id].pop(0))
        return "cancelled"

    def my_signups(self, member_id: int, now: datetime) -> list[MySignup]:
        mine: list[MySignup] = []
        for event_id in sorted(self.events):
            if member_id in self.confirmed[event_id]:
                mine.append(MySignup(self._view(event_id), "confirmed",
                                     (event_id, member_id) in self.checked_in))
            elif member_id in self.waitlist[event_id]:
                mine.append(MySignup(self._view(event_id), "waitlisted", False,
                                     self.waitlist[event_id].index(member_id) + 1))
        return mine

    def check_in(self, member_id: int, event_id: int, now: datetime) -> CheckinResult:
        if event_id not in self.events:
            return CheckinResult("unknown")
        view = self._view(event_id)
        if member_id not in self.confirmed[event_id]:
            return CheckinResult("not_signed_up", view)
        if (event_id, member_id) in self.checked_in:
            return CheckinResult("already_checked_in", view)
        self.checked_in.add((event_id, member_id))
        return CheckinResult("checked_in", view, 3)


@dataclass
class FakeConsole:
    """Roles by member id (``admin``/``organizer`` and the org's name); links handed out."""

    roles: dict[int, tuple[str, str]] = field(default_factory=dict)
    bound: set[int] = field(default_factory=set)
    issued: list[str] = field(default_factory=list)

    def sign_in_link(self, member_id: int, now: datetime) -> ConsoleLink:
        if member_id not in self.bound:
            return ConsoleLink("not_bound")
        if member_id not in self.roles:
            return ConsoleLink("no_role")
        url = f"https://example.org/console/login/link/code{len(self.issued) + 1}"
        self.issued.append(url)
        role, org = self.roles[member_id]
        return ConsoleLink("issued", url, role, org, 5)


class FakeClaims:
    """Claims in memory: every member counts as bound unless listed in ``unbound``."""

    def __init__(self) -> None:
        self.claims: dict[int, tuple[int, str, list[str]]] = {}
        self.unbound: set[int] = set()

    def submit(self, member_id: int, text: str, now: datetime) -> ClaimReceipt:
        if member_id in self.unbound:
            return ClaimReceipt("unbound")
        claim_id = len(self.claims) + 1
        self.claims[claim_id] = (member_id, text, [])
        return ClaimReceipt("submitted", claim_id)

    def attach_photo(self, member_id: int, claim_id: int, url: str, media_id: str) -> bool:
        owner, _text, photos = self.claims.get(claim_id, (0, "", []))
        if owner != member_id:
            return False
        photos.append(url)
        return True


def fake_services(**overrides: object) -> Services:
    """A Services bundle of fresh fakes; tests pass the fakes they want to inspect."""
    values: dict[str, object] = {"profiles": FakeProfiles(), "words": FakeWords(),
                                 "events": FakeEvents(), "lessons": FakeLessons(),
                                 "quiz": FakeQuiz(), "points": FakePoints(), "push": FakePush(),
                                 "roster": FakeRoster(), "meetings": FakeMeetings(),
                                 "claims": FakeClaims(), "console": FakeConsole(), **overrides}
    return Services(**values)  # type: ignore[arg-type]


@dataclass
class Conversation:
    """Feeds messages from one member through a fresh bot and keeps its state between turns."""

    member: MemberView = field(default_factory=lambda: MemberView(id=7, openid="o_7"))
    profiles: FakeProfiles = field(default_factory=FakeProfiles)
    words: FakeWords = field(default_factory=FakeWords)
    events: FakeEvents = field(default_factory=FakeEvents)
    lessons: FakeLessons = field(default_factory=FakeLessons)
    quiz: FakeQuiz = field(default_factory=FakeQuiz)
    points: FakePoints = field(default_factory=FakePoints)
    push: FakePush = field(default_factory=FakePush)
    roster: FakeRoster = field(default_factory=FakeRoster)
    meetings: FakeMeetings = field(default_factory=FakeMeetings)
    claims: FakeClaims = field(default_factory=FakeClaims)
    console: FakeConsole = field(default_factory=FakeConsole)

    def __post_init__(self) -> None:
        self.bot = build_bot()

    def send(self, text: str) -> Outcome:
        return self._handle(Incoming(self.member.openid, "text", NOW, text=text))

    def event(self, event: str, key: str = "") -> Outcome:
        return self._handle(Incoming(self.member.openid, "event", NOW, event=event, event_key=key))

    def other(self, kind: str) -> Outcome:
        return self._handle(Incoming(self.member.openid, kind, NOW))

    def _handle(self, incoming: Incoming) -> Outcome:
        services = fake_services(profiles=self.profiles, words=self.words, events=self.events,
                                 lessons=self.lessons, quiz=self.quiz, points=self.points,
                                 push=self.push, roster=self.roster,
                                 meetings=self.meetings, claims=self.claims,
                                 console=self.console)
        outcome = self.bot.handle(incoming, self.member, services, NOW)
        # As the next turn's member upsert would return them.
        stored = {name: value for (member_id, name), value in self.profiles.fields.items()
                  if member_id == self.member.id}
        self.member = MemberView(**{**_fields(self.member), **stored,
                                    "conversation": outcome.conversation,
                                    "daily_push": self.push.enabled.get(self.member.id, True)})
        return outcome


def _fields(member: MemberView) -> dict[str, object]:
    return {name: getattr(member, name) for name in member.__slots__}  # type: ignore[attr-defined]
