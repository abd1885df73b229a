"""The conversation engine: an explicit, ordered list of rules and one Turn per message.

Rules are tried in this order and the first that matches handles the turn:

1. events (subscribe, SCAN, CLICK …); a menu CLICK is re-dispatched as the
   keyword its key stands for, so menu and chat can never drift apart;
2. the member's running conversation (a quiz waiting for an answer …);
3. commands with an argument (``报名 3``, ``姓名 张三``);
4. exact keywords (``帮助``, ``学习`` …);
5. other messages by kind (a photo after ``申报``);
6. the fallback.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bots.messages import Incoming, MemberView, Reply
from bots.ports import (
    ConsoleAccess,
    DailyPush,
    EventSignups,
    Lessons,
    Meetings,
    MemberProfiles,
    Points,
    PointsClaims,
    QuizPlay,
    Roster,
    WordFilter,
)

# Members type full-width spaces on Chinese keyboards as often as ASCII ones.
_SPACES = " \t\r\n\u3000"
# The platform's member message types. Anything else (a type added later, or
# one sent by a tool) is acknowledged silently, as the contract asks, rather
# than answered with a hint the member did not ask for.
MESSAGE_KINDS = frozenset({"text", "image", "voice", "video", "shortvideo", "location", "link"})
# ... and put a colon or comma after a command word: ``姓名：张三``, ``电话:138…``.
_AFTER_COMMAND = _SPACES + ":：,，、"


@dataclass(slots=True)
class Services:
    """Everything handlers may reach outside the turn; built by the caller per turn."""

    profiles: MemberProfiles
    words: WordFilter
    events: EventSignups
    lessons: Lessons
    quiz: QuizPlay
    points: Points
    push: DailyPush
    roster: Roster
    meetings: Meetings
    claims: PointsClaims
    console: ConsoleAccess


@dataclass(slots=True)
class Turn:
    """One message being handled: what came in, who sent it, and what may change.

    Two rules for every handler. It may run more than once for one message (the
    unit of work around it can be rolled back and run again), so it acts only
    through ``services``, whose changes commit or roll back with the turn, and
    never sends, prints or keeps state of its own. And it answers quickly: the
    member waits for its reply, and other members' turns may wait behind it, so
    what it reads must cost an index lookup, not a scan of a growing table.
    """

    incoming: Incoming
    member: MemberView
    now: datetime
    services: Services
    argument: str = ""
    # A copy of the member's dialog state; the caller stores it when it changed.
    conversation: dict[str, Any] | None = None

    @property
    def text(self) -> str:
        return self.incoming.text.strip(_SPACES)

    def start_flow(self, flow: str, **state: Any) -> None:
        self.conversation = {"flow": flow, **state}

    def end_flow(self) -> None:
        self.conversation = None


Handler = Callable[[Turn], Reply]
Matcher = Callable[[Turn], str | None]


@dataclass(frozen=True, slots=True)
class Rule:
    """``matches`` returns the argument for the handler, or None when the rule does not apply.

    ``reads`` names the services (fields of :class:`Services`) whose reads the
    handler makes every time, so that the caller may run them ahead.
    """

    name: str
    matches: Matcher
    handler: Handler
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outcome:
    rule: str
    reply: Reply
    conversation: dict[str, Any] | None


@dataclass(slots=True)
class Bot:
    fallback: Handler
    events: list[Rule] = field(default_factory=list)
    flows: list[Rule] = field(default_factory=list)
    commands: list[Rule] = field(default_factory=list)
    keywords: dict[str, Rule] = field(default_factory=dict)
    media: list[Rule] = field(default_factory=list)
    menu_keys: dict[str, str] = field(default_factory=dict)

    def on_event(self, name: str, handler: Handler, *, key_prefix: str = "") -> None:
        """Handle ``event`` (lower-cased) whose EventKey starts with ``key_prefix``."""

        def matches(turn: Turn) -> str | None:
            incoming = turn.incoming
            if incoming.kind != "event" or incoming.event != name:
                return None
            if not incoming.event_key.startswith(key_prefix):
                return None
            return incoming.event_key.removeprefix(key_prefix)

        self.events.append(Rule(f"event:{name}{':' + key_prefix if key_prefix else ''}", matches,
                                handler))

    def on_flow(self, flow: str, accepts: Callable[[str], bool], handler: Handler) -> None:
        """Handle text while the member's conversation is in ``flow`` and ``accepts`` it."""

        def matches(turn: Turn) -> str | None:
            state = turn.conversation
            if turn.incoming.kind != "text" or not state or state.get("flow") != flow:
                return None
            return turn.text if accepts(turn.text) else None

        self.flows.append(Rule(f"flow:{flow}", matches, handler))

    def on_command(self, word: str, handler: Handler) -> None:
        """Handle ``word <argument>``; the argument may follow with or without a space."""
        pattern = re.compile(rf"{re.escape(word)}[{_SPACES}]*(.+)", re.DOTALL)

        def matches(turn: Turn) -> str | None:
            if turn.incoming.kind != "text":
                return None
            found = pattern.fullmatch(turn.text)
            return found.group(1).strip(_AFTER_COMMAND) if found else None

        self.commands.append(Rule(f"command:{word}", matches, handler))

    def on_message(self, kind: str, handler: Handler) -> None:
        """Handle a non-text message of ``kind`` (``image`` …) before the fallback."""
        self.media.append(Rule(f"message:{kind}",
                               lambda turn: "" if turn.incoming.kind == kind else None, handler))

    def on_keyword(self, words: tuple[str, ...], handler: Handler, *, menu_key: str = "",
                   reads: tuple[str, ...] = ()) -> None:
        """``reads``: see :class:`Rule`."""
        rule = Rule(f"keyword:{words[0]}", lambda turn: "", handler, reads)
        for word in words:
            self.keywords[word.lower()] = rule
        if menu_key:
            self.menu_keys[menu_key] = words[0]

    def handle(
        self,
        incoming: Incoming,
        member: MemberView,
        services: Services,
        now: datetime,
    ) -> Outcome:
        conversation = dict(member.conversation) if member.conversation else None
        turn = Turn(incoming, member, now, services, conversation=conversation)
        rule, argument = self._route(turn)
        turn.argument = argument
        reply = rule.handler(turn)
        return Outcome(rule.name, reply, turn.conversation)

    def reads_ahead(self, incoming: Incoming) -> tuple[str, ...]:
        """The reads (see :class:`Rule`) of the keyword that ``incoming`` is, if any.

        A guess made before the member's conversation is known: a running quiz
        or a command may still answer instead, and the reads go unused.
        """
        if incoming.kind == "event":
            keyword = self.menu_keys.get(incoming.event_key) if incoming.event == "click" else None
        else:
            keyword = incoming.text.strip(_SPACES) if incoming.kind == "text" else None
        rule = self.keywords.get(keyword.lower()) if keyword else None
        return rule.reads if rule else ()

    def _route(self, turn: Turn) -> tuple[Rule, str]:
        incoming = turn.incoming
        if incoming.kind == "event":
            if incoming.event == "click" and incoming.event_key in self.menu_keys:
                return self.keywords[self.menu_keys[incoming.event_key]], ""
            return self._first(self.events, turn) or (_SILENT, "")
        if incoming.kind == "text":
            for rules in (self.flows, self.commands):
                found = self._first(rules, turn)
                if found:
                    return found
            keyword = self.keywords.get(turn.text.lower())
            if keyword:
                return keyword, ""
        if incoming.kind not in MESSAGE_KINDS:
            return _UNKNOWN_KIND, ""
        media = self._first(self.media, turn)
        if media:
            return media
        return Rule("fallback", lambda _: "", self.fallback), ""

    @staticmethod
    def _first(rules: list[Rule], turn: Turn) -> tuple[Rule, str] | None:
        for rule in rules:
            argument = rule.matches(turn)
            if argument is not None:
                return rule, argument
        return None


def _say_nothing(_turn: Turn) -> Reply:
    return None


# Events nobody handles (VIEW, TEMPLATESENDJOBFINISH, LOCATION …) are acknowledged silently.
_SILENT = Rule("event:ignored", lambda _: "", _say_nothing)
_UNKNOWN_KIND = Rule("message:unknown_kind", lambda _: "", _say_nothing)


def conversation_changed(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> bool:
    return (dict(before) if before else None) != (dict(after) if after else None)
