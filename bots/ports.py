"""What the conversation engine needs from the outside world, as Protocols.

The service implements these over the database; tests use in-memory fakes.
Each feature adds its own port here rather than reaching for storage itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol


class MemberProfiles(Protocol):
    def set_profile_field(self, member_id: int, field: str, value: str) -> None:
        """Store ``name``, ``phone`` or ``branch`` for the member."""

    def set_subscribed(self, member_id: int, subscribed: bool) -> None:
        """Record a follow or unfollow of the official account."""


@dataclass(frozen=True, slots=True)
class PushState:
    """The member's daily-lesson push: whether they want it and whether it can reach them.

    The platform lets the account send a customer-service message only within
    48 hours of the member's last message, and the daily lesson goes out only
    that way; ``reachable_until`` is when that window closes (in the service's
    time zone), None when it is closed or the push is off.
    """

    enabled: bool
    reachable_until: datetime | None = None


class DailyPush(Protocol):
    """``订阅`` / ``退订``; :meth:`state` is what a profile reply (``我的信息``) shows."""

    def state(self, member_id: int, now: datetime) -> PushState: ...

    def set_enabled(self, member_id: int, enabled: bool, now: datetime) -> PushState:
        """Turn the push on or off; the state afterwards."""


class WordFilter(Protocol):
    def first_banned_word(self, text: str) -> str | None:
        """The first sensitive word found in ``text``, or None when it is clean."""


# --------------------------------------------------------------------------- events


@dataclass(frozen=True, slots=True)
class EventSummary:
    """An event as a member sees it; ``starts_at`` is already in the service's time zone."""

    id: int
    title: str
    location: str
    starts_at: datetime
    capacity: int
    seats_left: int
    signup_deadline: datetime | None = None


SignupOutcome = Literal[
    "confirmed", "waitlisted", "already_confirmed", "already_waitlisted",
    "unknown", "cancelled", "started", "deadline_passed", "rate_limited", "meeting",
]
# ``meeting``: a meeting of 组织生活, which its expected attendees need not sign up for.
# ``rate_limited``: the member signed up or cancelled too often just now; nothing changed.
CancelOutcome = Literal["cancelled", "not_signed_up", "unknown", "started", "rate_limited"]
CheckinOutcome = Literal[
    "checked_in", "already_checked_in", "not_signed_up", "waitlisted", "unknown",
    "cancelled", "too_early", "too_late", "not_expected",
]
# ``not_expected``: a meeting the member is not expected at (another org's).


@dataclass(frozen=True, slots=True)
class SignupResult:
    outcome: SignupOutcome
    event: EventSummary | None = None
    # 1-based place on the waitlist when waitlisted.
    position: int | None = None


@dataclass(frozen=True, slots=True)
class CheckinResult:
    outcome: CheckinOutcome
    event: EventSummary | None = None
    points: int = 0
    # When check-in opens and closes, in the service's time zone; set for too_early/too_late.
    opens_at: datetime | None = None
    closes_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class MySignup:
    event: EventSummary
    status: Literal["confirmed", "waitlisted"]
    checked_in: bool
    position: int | None = None


class EventSignups(Protocol):
    """Events and sign-ups inside the turn's unit of work; the service guards the seats."""

    def upcoming(self, now: datetime) -> list[EventSummary]:
        """Scheduled events that have not started yet, soonest first."""

    def sign_up(self, member_id: int, event_id: int, now: datetime) -> SignupResult: ...

    def cancel(self, member_id: int, event_id: int, now: datetime) -> CancelOutcome: ...

    def my_signups(self, member_id: int, now: datetime) -> list[MySignup]:
        """The member's live sign-ups for events that have not started long ago."""

    def check_in(self, member_id: int, event_id: int, now: datetime) -> CheckinResult: ...


# --------------------------------------------------------------------------- meetings

LeaveOutcome = Literal[
    "granted", "checked_in", "started", "cancelled", "not_expected", "not_meeting",
    "unknown", "empty_reason", "reason_too_long",
]
# ``granted`` also when the member had asked before (the new reason replaces the old);
# ``checked_in``: the member is already checked in, leave makes no sense any more.
LEAVE_REASON_MAX = 100


@dataclass(frozen=True, slots=True)
class LeaveResult:
    outcome: LeaveOutcome
    event: EventSummary | None = None
    kind_label: str = ""  # 支部党员大会, 党课 … (the meeting's kind as members read it)


class Meetings(Protocol):
    """Meetings of 组织生活 inside the turn's unit of work."""

    def request_leave(self, member_id: int, event_id: int, reason: str,
                      now: datetime) -> LeaveResult:
        """请假 for a meeting the member is expected at, until it starts."""


# ------------------------------------------------------------- lessons, quizzes, points


@dataclass(frozen=True, slots=True)
class LessonCard:
    """A lesson as a chat reply shows it; ``number`` is its place in the ``课程`` list,
    ``series`` the name of its 专题 ("" for none)."""

    id: int
    number: int
    title: str
    summary: str
    url: str
    cover_url: str = ""
    series: str = ""


class Lessons(Protocol):
    def today(self, now: datetime) -> LessonCard | None:
        """Today's lesson by the rotation rule, or None when there is none yet."""

    def catalogue(self, now: datetime) -> list[LessonCard]:
        """Published lessons in ``课程`` order (number 1 first)."""

    def by_number(self, number: int, now: datetime) -> LessonCard | None: ...

    def reading_link(self, member_id: int, lesson_id: int) -> str:
        """The lesson page's address for this member: opening it counts the reading.

        A reply only offers the lesson; the member earns the reading's point when
        the page is actually opened, so the link names the member (signed, never
        the openid).
        """

    def search(self, words: str, now: datetime, limit: int) -> list[LessonCard]:
        """Published lessons whose title contains ``words``."""


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    """A question as asked: options already in this attempt's shuffled order."""

    attempt_id: int
    position: int  # 1-based
    total: int
    type: str  # single, multiple, truefalse, fill (quizzes.QuestionType values)
    stem: str
    options: tuple[str, ...] = ()
    contest: str = ""  # the contest's title when the attempt belongs to one


@dataclass(frozen=True, slots=True)
class QuizScore:
    attempt_id: int
    answered: int
    correct: int
    total: int
    points: int
    status: str  # finished, quit or expired


@dataclass(frozen=True, slots=True)
class QuizVerdict:
    """The grade of one answer, then what comes next (a question or the final score).

    ``problem`` is set (and nothing graded) when the message was not an answer
    to the question, e.g. ``E`` for options A–D.
    """

    position: int
    correct: bool = False
    expected: str = ""
    explanation: str = ""
    points: int = 0
    problem: str | None = None
    next_question: QuizQuestion | None = None
    score: QuizScore | None = None
    timed_out: bool = False  # a contest question answered after its time limit


@dataclass(frozen=True, slots=True)
class WrongAnswer:
    stem: str
    options: tuple[str, ...]
    expected: str
    given: str
    explanation: str
    answered_at: datetime


QuizStartProblem = Literal["no_bank", "contest_used_up"]


class QuizPlay(Protocol):
    def start(self, member_id: int, now: datetime) -> QuizQuestion | QuizStartProblem:
        """The member's open attempt's current question, or a new attempt's first."""

    def answer(self, member_id: int, attempt_id: int, position: int, text: str,
               now: datetime) -> QuizVerdict | None:
        """Grade ``text`` for question ``position`` once; None when the attempt is closed."""

    def quit(self, member_id: int, attempt_id: int, now: datetime) -> QuizScore | None: ...

    def wrong_answers(self, member_id: int, limit: int) -> list[WrongAnswer]: ...


@dataclass(frozen=True, slots=True)
class PointsLine:
    at: datetime  # in the service's time zone
    label: str
    delta: int


@dataclass(frozen=True, slots=True)
class PointsSummary:
    total: int
    rank: int
    members: int
    recent: tuple[PointsLine, ...]


class Points(Protocol):
    def summary(self, member_id: int, now: datetime) -> PointsSummary: ...


# --------------------------------------------------------------------- claims of deeds

ClaimOutcome = Literal["submitted", "unbound", "too_long"]
# ``unbound``: only members bound to the roster may claim (deeds count for an org).


@dataclass(frozen=True, slots=True)
class ClaimReceipt:
    outcome: ClaimOutcome
    claim_id: int | None = None


class PointsClaims(Protocol):
    """``申报``: a member's claim of an offline deed, for an organizer to approve."""

    def submit(self, member_id: int, text: str, now: datetime) -> ClaimReceipt: ...

    def attach_photo(self, member_id: int, claim_id: int, url: str, media_id: str) -> bool:
        """Add a photo to the member's pending claim; False when it no longer takes one."""


# --------------------------------------------------------------------------- the roster


@dataclass(frozen=True, slots=True)
class RosterCard:
    """The roster entry a member is bound to; ``org`` is the full name (``机关党委/第一党支部``)."""

    name: str
    phone: str
    org: str
    status: str


BindOutcome = Literal["bound", "already_bound", "taken", "no_match", "rate_limited"]
# ``no_match``: no entry has both this name and this phone; the same answer for a
# wrong name and a wrong phone, so guessing reveals nobody. ``taken``: the entry
# is bound to another member. ``already_bound``: this member is bound (``card``).


@dataclass(frozen=True, slots=True)
class BindResult:
    outcome: BindOutcome
    card: RosterCard | None = None


class Roster(Protocol):
    def binding(self, member_id: int) -> RosterCard | None:
        """The entry the member is bound to, or None."""

    def bind(self, member_id: int, name: str, phone: str, now: datetime) -> BindResult:
        """Bind the member to the entry with this name and phone; attempts are rate-limited."""

    def erase(self, member_id: int, now: datetime) -> None:
        """Forget the member's personal data and binding; anonymous totals stay."""


# --------------------------------------------------------------------------- the console


ConsoleLinkOutcome = Literal["issued", "not_bound", "no_role"]
# ``not_bound``: the member is on no roster entry, so holds no role. ``no_role``:
# bound, but the entry holds no console role.


@dataclass(frozen=True, slots=True)
class ConsoleLink:
    """A one-time console sign-in link (``后台``) and what it opens.

    ``role`` is ``admin`` or ``organizer``; ``org`` the full name of the org the
    role is scoped to, empty for the whole organisation.
    """

    outcome: ConsoleLinkOutcome
    url: str = ""
    role: str = ""
    org: str = ""
    valid_minutes: int = 0


class ConsoleAccess(Protocol):
    def sign_in_link(self, member_id: int, now: datetime) -> ConsoleLink:
        """A fresh one-time link for the role the member's roster entry holds."""
