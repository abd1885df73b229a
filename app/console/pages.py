"""What each console page shows: one call per handler, over the events services."""

from __future__ import annotations

import unicodedata
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.console import session as sessions
from app.console.refusals import ConsoleRefusal
from app.console.session import ConsoleUser
from app.events import actions, roster, service, timing
from app.events.roster import RosterQuery
from app.ratelimit import counter as ratelimit
from app.settings import Settings

SEARCH_MAX = 32
VIEWS = (("all", "全部"), ("confirmed", "已报名"), ("waitlisted", "候补"),
         ("checked_in", "已签到"))


# Tokens are 256-bit random, so this does not guard them from guessing; it keeps a
# script from hammering the form. Ten failures leave room for a few mistyped pastes;
# ten minutes is long enough to stall a script and short enough for a colleague
# sharing the office's address to wait out.
SIGN_IN_FAILURES = ratelimit.Limit("console_sign_in", max_hits=10,
                                   window=timedelta(minutes=10))


def sign_in(session: Session, settings: Settings, token: str, address: str, now: datetime
            ) -> str | ratelimit.Verdict | None:
    """The session cookie's value for a valid organizer or admin token, None for a wrong
    one, or the refusing verdict once ``address`` failed too often.

    Every attempt is counted before the token is checked, so parallel guesses cannot
    all slip under the limit; a successful one is given back.
    """
    verdict = ratelimit.hit(session, SIGN_IN_FAILURES, address, now)
    if not verdict.allowed:
        return verdict
    signed = sessions.sign_in(session, settings, token)
    if signed is None:
        return None
    ratelimit.give_back(session, SIGN_IN_FAILURES, address, now)
    return signed[0]


def events_context(session: Session, user: ConsoleUser, zone: ZoneInfo, now: datetime
                   ) -> dict[str, Any]:
    upcoming, past = service.upcoming_then_past(
        service.visible_events(session, user.principal), now)
    return {"user": user, "upcoming": service.describe(session, upcoming, zone),
            "past": service.describe(session, past, zone), "zone": zone}


def event_context(session: Session, user: ConsoleUser, event_id: int, query: RosterQuery,
                  zone: ZoneInfo, now: datetime) -> dict[str, Any]:
    event = service.event_for(session, event_id, user.principal)
    total, items = roster.roster(session, event, query)
    undoable = {item.id for item in items
                if timing.undo_possible(item.checked_in_at, item.checked_in_by, now)}
    return {"user": user, "event": service.describe(session, [event], zone)[0],
            "items": items, "total": total, "query": query, "views": VIEWS, "zone": zone,
            "checkin_closed": timing.checkin_closed(event, now),
            "checkin_opens_at": timing.checkin_opens_at(event).astimezone(zone),
            "ends_at": timing.ends_at(event).astimezone(zone),
            "undoable": undoable, "undo_minutes": _minutes(timing.UNDO_CHECKIN_WITHIN)}


def csv_for(session: Session, user: ConsoleUser, event_id: int, query: RosterQuery,
            zone: ZoneInfo) -> bytes:
    return actions.signups_csv(session, event_id, user.principal, query, zone)


def xlsx_for(session: Session, user: ConsoleUser, event_id: int, query: RosterQuery,
             zone: ZoneInfo) -> bytes:
    return actions.signups_xlsx(session, event_id, user.principal, query, zone)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


def tel_href(phone: str) -> str:
    """``phone`` as a ``tel:`` target: digits and a leading ``+`` only, never markup."""
    text = unicodedata.normalize("NFKC", phone).strip()
    digits = "".join(c for c in text if c.isascii() and c.isdigit())
    return ("+" + digits if text.startswith("+") else digits) if digits else ""


def row_link(event_id: int, signup_id: int, form: dict[str, str]) -> str:
    """The list the form was posted from, scrolled to the member's row.

    Only a known view and a search of the allowed length are carried over; the
    fragment brings a phone back to the row instead of the top of the page.
    """
    view = form.get("view", "all")
    search = form.get("q", "").strip()
    params = {"view": view if view in dict(VIEWS) else "all"}
    if search and len(search) <= SEARCH_MAX:
        params["q"] = search
    return f"/console/events/{event_id}?{urlencode(params)}#row-{signup_id}"


_CHECKIN_REFUSALS = {
    "too_late": "活动已结束，签到已关闭。",
    "cancelled": "活动已取消，不能签到。",
    "waitlisted": "这位成员还在候补名单中，没有名额，不能签到。",
    "not_signed_up": "这位成员已取消报名，不能签到。",
}


def check_in(session: Session, user: ConsoleUser, event_id: int, signup_id: int,
             form: dict[str, str], zone: ZoneInfo, now: datetime) -> str:
    """Check the member in; where to go next, or a refusal the organizer can read."""
    back = row_link(event_id, signup_id, form)
    result = actions.check_in(session, event_id, signup_id, user.principal, now, zone)
    if result.outcome in ("checked_in", "already_checked_in"):
        return back
    if result.outcome == "too_early":
        event = service.event_for(session, event_id, user.principal)
        opens = timing.checkin_opens_at(event).astimezone(zone)
        raise ConsoleRefusal(f"签到尚未开放：{opens:%m月%d日 %H:%M} 起可以签到"
                             f"（活动开始前 {_minutes(timing.CHECKIN_OPENS_BEFORE)} 分钟）。",
                             back)
    raise ConsoleRefusal(_CHECKIN_REFUSALS.get(result.outcome, "无法签到。"), back)


def undo_check_in(session: Session, user: ConsoleUser, event_id: int, signup_id: int,
                  form: dict[str, str], zone: ZoneInfo, now: datetime) -> str:
    back = row_link(event_id, signup_id, form)
    result = actions.undo_check_in(session, event_id, signup_id, user.principal, now, zone)
    if result.outcome == "not_undoable":
        raise ConsoleRefusal(
            f"只能撤销组织者在 {_minutes(timing.UNDO_CHECKIN_WITHIN)} 分钟内完成的签到；"
            "这条签到已不能撤销。", back)
    return back
