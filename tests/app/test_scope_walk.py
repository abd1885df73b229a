"""A token scoped to one branch sees nothing of its sibling branch, on every route.

A 党委 with two 支部, each with a bound member on the roster, points, an event
with a sign-up and a contest attempt. The walk reads the routes from the
application itself (the OpenAPI document, console pages included) and, with an
admin token scoped to the first branch:

- calls every GET route aimed at the second branch's rows (its event, sign-up,
  org, roster entry, member in the path; its org in ``org_id``/``parent_id``)
  and once more without the optional query parameters, and finds none of the
  second branch's names, phones, titles or ids in any answer (JSON, HTML, CSV
  or the cells of an XLSX workbook);
- calls every mutating route at the second branch's rows and finds it refused
  (403 for content only an unscoped admin changes, else 404 or 422) with the
  database exactly as before.

A new admin or console route fails here until the walk knows its path
parameters and, for a mutating one, a body aimed at the sibling branch: that
is the moment to scope it (patterns in :mod:`app.orgs.scope`).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update

from app.auth.tokens import BOOTSTRAP_ADMIN, Role, create_token
from app.console import roles
from app.db import Database
from app.events.signups import sign_up
from app.lessons import catalogue
from app.main import create_app
from app.models import Base, Member, PointsEntry, QuizAttempt, RosterEntry, SensitiveWord, Signup
from app.moderation.words import add_words
from app.points.claims import submit as submit_claim
from app.points.rules import Activity
from app.points.service import award
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.app.test_meeting_records import png
from tests.app.test_route_security import PUBLIC, protected_routes
from tests.support.quizbanks import bank_csv
from tests.support.units import run_unit

ADMIN = "scope-walk-admin"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
ZONE = ZoneInfo("Asia/Shanghai")
SCOPED_PREFIXES = ("/api/admin", "/console")
# Routes that act on the caller's own session, not on anybody's data.
OWN_SESSION = {("POST", "/console/logout")}
# Posted forms that store nothing: they may answer a scoped admin, and must change nothing.
READ_ONLY_POSTS = {("POST", "/console/sensitive-words/test"),
                   ("POST", "/console/notices/preview")}
# What may change in the database while a refused request is answered: bookkeeping of
# the caller's own token and of rate limits, never data.
VOLATILE_TABLES = {"rate_limit_counters", "console_sessions"}
VOLATILE_COLUMNS = {"last_used_at"}

MINE = {"org": "第一党支部", "person": "张一支", "phone": "13800000001", "event": "一支部学习会"}
SIBLING = {"org": "第二党支部", "person": "王二支", "phone": "13900000002",
           "event": "二支部踏青活动", "meeting": "二支部党员大会", "claim": "二支部献血事迹",
           "notice": "二支部学习通知"}


@dataclass
class World:
    ids: dict[str, int] = field(default_factory=dict)  # the sibling branch's rows
    own: dict[str, int] = field(default_factory=dict)
    sibling_ids: dict[str, set[int]] = field(default_factory=dict)


@pytest.fixture
def app(database_url: str) -> FastAPI:
    return create_app(make_settings(database_url, admin_token=ADMIN))


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        yield test_client


def _ok(answer: Any, status: int = 201) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _org(client: TestClient, name: str, parent_id: int | None = None) -> int:
    return int(_ok(client.post("/api/admin/orgs", headers=AUTH,
                               json={"name": name, "parent_id": parent_id}))["id"])


@pytest.fixture
def world(client: TestClient, database: Database) -> World:
    committee = _org(client, "机关党委")
    first, second = _org(client, MINE["org"], committee), _org(client, SIBLING["org"], committee)
    sibling_group = _org(client, f"{SIBLING['org']}党小组", second)
    roster = ("姓名,手机号,组织,政治面貌,党内职务\n"
              f"{MINE['person']},{MINE['phone']},机关党委/{MINE['org']},正式党员,书记\n"
              f"{SIBLING['person']},{SIBLING['phone']},机关党委/{SIBLING['org']},正式党员,书记\n")
    _ok(client.post("/api/admin/roster", headers=AUTH,
                    files={"file": ("roster.csv", roster.encode(), "text/csv")}))
    starts = (datetime.now(UTC) + timedelta(minutes=30)).isoformat()
    events = {key: int(_ok(client.post("/api/admin/events", headers=AUTH, json={
        "title": people["event"], "location": "会议室", "starts_at": starts, "capacity": 5,
        "org_id": org}))["id"]) for key, people, org in (("mine", MINE, first),
                                                           ("sibling", SIBLING, second))}
    bank = _ok(client.post("/api/admin/quiz-banks", headers=AUTH, files={
        "file": ("bank.csv", bank_csv(4), "text/csv")}))["id"]
    now = datetime.now(UTC)
    contest = _ok(client.post("/api/admin/contests", headers=AUTH, json={
        "title": "知识竞赛", "bank_id": bank, "starts_at": (now - timedelta(hours=1)).isoformat(),
        "ends_at": (now + timedelta(hours=1)).isoformat(), "question_count": 2}))["id"]
    lesson = _ok(client.post("/api/admin/lessons", headers=AUTH, json={
        "title": "微党课", "summary": "摘要", "body": "正文"}))["id"]

    def seed(session: Any) -> dict[str, dict[str, int]]:
        made: dict[str, dict[str, int]] = {}
        for key, people in (("mine", MINE), ("sibling", SIBLING)):
            member = Member(openid=f"o_{key}", name=people["person"], phone=people["phone"],
                            first_seen_at=now, last_interaction_at=now, subscribed=True,
                            daily_push=False)
            session.add(member)
            session.flush()
            session.execute(update(RosterEntry).where(RosterEntry.phone == people["phone"])
                            .values(member_id=member.id, bound_at=now))
            award(session, member.id, Activity.LESSON_READ, f"seed-{key}", now, ZONE)
            line = session.scalars(select(PointsEntry.id)
                                   .where(PointsEntry.member_id == member.id)).one()
            sign_up(session, member.id, events[key], now, ZONE)
            session.add(QuizAttempt(member_id=member.id, bank_id=bank, contest_id=contest,
                                    question_ids=[1, 2], shuffles=["", ""], answered=2,
                                    correct=1, status="finished", started_at=now,
                                    last_activity_at=now, finished_at=now))
            entry = session.scalars(select(RosterEntry)
                                    .where(RosterEntry.phone == people["phone"])).one()
            signup = session.scalars(select(Signup)
                                     .where(Signup.member_id == member.id)).one()
            made[key] = {"member_id": member.id, "entry_id": entry.id, "signup_id": signup.id,
                          "line_id": line}
        # The sibling's 书记 holds a console role over the sibling branch; a 专题 and a
        # listed word are shared by every org.
        role = roles.grant(session, BOOTSTRAP_ADMIN, made["sibling"]["entry_id"],
                           Role.ORGANIZER, second, now)
        made["sibling"]["role_id"] = role.id
        made["shared"] = {
            "series_id": catalogue.create_series(session, "共用专题", "", now).id,
            "word_id": (add_words(session, "越界词", "walk", now),
                        session.scalars(select(SensitiveWord.id)
                                        .where(SensitiveWord.word == "越界词")).one())[1]}
        claim = submit_claim(session, member_id=made["sibling"]["member_id"],
                             text=SIBLING["claim"], category=None, occurred_on=None,
                             source="chat", now=now, zone=ZONE)
        made["sibling"]["claim_id"] = claim.id
        return made

    made = run_unit(database, seed)
    # Created once its members are bound, so they are its expected attendees.
    meeting = int(_ok(client.post("/api/admin/events", headers=AUTH, json={
        "title": SIBLING["meeting"], "location": "会议室", "starts_at": starts, "capacity": 50,
        "org_id": second, "kind": "branch_assembly"}))["id"])
    # Checked in at the door by an organizer: an undo the walk aims at would succeed.
    _ok(client.post(f"/api/admin/events/{meeting}/attendance/"
                    f"{made['sibling']['member_id']}/checkin", headers=AUTH), 200)
    minutes = _ok(client.post(f"/api/admin/events/{meeting}/minutes", headers=AUTH,
                              data={"text": f"{SIBLING['meeting']}纪要"},
                              files=[("photos", ("a.png", png(), "image/png"))]))
    notice = int(_ok(client.post("/api/admin/notices", headers=AUTH, json={
        "title": SIBLING["notice"], "body": "请学习", "org_ids": [second]}))["id"])
    ids = {"event_id": events["sibling"], "org_id": second, "parent_id": second,
           "notice_id": notice,
           "contest_id": contest, "bank_id": bank, "lesson_id": lesson,
           "meeting_id": meeting, "photo_id": minutes["photos"][0]["id"], **made["sibling"],
           **made["shared"]}
    own = {"event_id": events["mine"], "org_id": first, **made["mine"]}
    return World(ids=ids, own=own, sibling_ids={
        "org_id": {second, sibling_group}, "parent_id": {second, sibling_group},
        "member_id": {made["sibling"]["member_id"]},
        "event_id": {events["sibling"], meeting}, "claim_id": {made["sibling"]["claim_id"]},
        "line_id": {made["sibling"]["line_id"]}, "notice_id": {notice}})


# Path and query parameters the walk aims at the sibling branch. Contests, quiz banks and
# lessons are shared by every org (they have none): the walk still calls their routes.
SIBLING_TARGETS = {"event_id", "signup_id", "org_id", "parent_id", "entry_id", "member_id",
                   "photo_id", "claim_id", "role_id", "line_id", "notice_id"}
SHARED_TARGETS = {"contest_id", "bank_id", "lesson_id", "series_id", "word_id"}
# Path parameters that name no row: the dashboard figure that lists every 党支部 by name.
NEUTRAL_PATH = {"figure": "branches"}
# Required query parameters that pick no row, with a value any route accepts.
# Routes that only meetings answer: the walk aims them at the sibling's meeting.
MEETING_ONLY = re.compile(r"/attendance|/minutes")
NEUTRAL_QUERY: dict[str, object] = {"year": datetime.now(UTC).year,
                                   "period": str(datetime.now(UTC).year)}


def _bodies(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    """For each mutating route, a request aimed at the sibling branch (or, for shared
    content, one an unscoped admin would make)."""
    sibling, starts = world.ids, (datetime.now(UTC) + timedelta(days=2)).isoformat()
    starts_local = (datetime.now(ZONE) + timedelta(days=2)).strftime("%Y-%m-%d %H:%M")
    today = datetime.now(ZONE).date().isoformat()
    intruding_roster = ("姓名,手机号,组织,政治面貌\n"
                        f"{SIBLING['person']},{SIBLING['phone']},机关党委/{MINE['org']},正式党员\n"
                        f"新同志,13700000003,机关党委/{SIBLING['org']},预备党员\n")
    return {
        ("POST", "/api/admin/events"): {"json": {
            "title": "越界活动", "location": "x", "starts_at": starts, "capacity": 3,
            "org_id": sibling["org_id"]}},
        ("PATCH", "/api/admin/events/{event_id}"): {"json": {"title": "改名"}},
        ("DELETE", "/api/admin/events/{event_id}"): {},
        ("POST", "/api/admin/events/{event_id}/signups/{signup_id}/checkin"): {},
        ("DELETE", "/api/admin/events/{event_id}/signups/{signup_id}/checkin"): {},
        ("POST", "/api/admin/orgs"): {"json": {"name": "越界小组",
                                               "parent_id": sibling["org_id"]}},
        ("PATCH", "/api/admin/orgs/{org_id}"): {"json": {"name": "改名支部"}},
        ("DELETE", "/api/admin/orgs/{org_id}"): {},
        ("POST", "/api/admin/roster"): {"files": {
            "file": ("roster.csv", intruding_roster.encode(), "text/csv")}},
        ("DELETE", "/api/admin/roster/{entry_id}/binding"): {},
        ("POST", "/api/admin/quiz-banks"): {"files": {
            "file": ("bank.csv", bank_csv(3, prefix="越界"), "text/csv")}},
        ("POST", "/api/admin/quiz-banks/{bank_id}/activate"): {},
        ("DELETE", "/api/admin/quiz-banks/{bank_id}"): {},
        ("POST", "/api/admin/lessons"): {"json": {"title": "越界", "summary": "s",
                                                  "body": "b"}},
        ("POST", "/api/admin/contests"): {"json": {
            "title": "越界竞赛", "bank_id": sibling["bank_id"], "starts_at": starts,
            "ends_at": (datetime.now(UTC) + timedelta(days=3)).isoformat(),
            "question_count": 2}},
        ("POST", "/api/admin/events/{event_id}/attendance/{member_id}/checkin"): {},
        ("DELETE", "/api/admin/events/{event_id}/attendance/{member_id}/checkin"): {},
        ("POST", "/api/admin/events/{event_id}/minutes"): {"data": {"text": "越界纪要"}},
        ("PUT", "/api/admin/points/rules"): {"json": {"rules": {}}},
        ("POST", "/api/admin/points/awards"): {"json": {
            "member_id": sibling["member_id"], "category": "志愿服务", "points": 1,
            "note": "越界", "occurred_on": datetime.now(UTC).date().isoformat()}},
        ("POST", "/api/admin/points/claims/{claim_id}/approve"): {"json": {}},
        ("POST", "/api/admin/points/claims/{claim_id}/reject"): {"json": {"reason": "越界"}},
        ("POST", "/api/admin/points/entries/{line_id}/reverse"): {"json": {"reason": "越界"}},
        ("POST", "/console/events/{event_id}/signups/{signup_id}/checkin"): {"form": {}},
        ("POST", "/console/events/{event_id}/signups/{signup_id}/undo-checkin"): {"form": {}},
        ("POST", "/console/events/{event_id}/attendance/{member_id}/checkin"): {"form": {}},
        ("POST", "/console/events/{event_id}/attendance/{member_id}/undo-checkin"): {"form": {}},
        ("POST", "/console/members/{member_id}/record/lines/{line_id}/correction"): {"form": {
            "reason": "越界"}},
        ("POST", "/console/events/{event_id}/minutes"): {"form": {"text": "越界纪要"}},
        ("POST", "/console/points/claims/{claim_id}/approve"): {"form": {
            "category": "其他", "points": "1"}},
        ("POST", "/console/points/claims/{claim_id}/reject"): {"form": {"reason": "越界"}},
        ("POST", "/console/points/award"): {"form": {
            "member_id": str(sibling["member_id"]), "category": "志愿服务", "points": "1",
            "note": "越界", "occurred_on": today}},
        ("POST", "/console/events/new"): {"form": {
            "title": "越界活动", "location": "x", "starts_at": starts_local, "capacity": "3",
            "remind_before_minutes": "60", "kind": "activity",
            "org_id": str(sibling["org_id"])}},
        ("POST", "/console/events/{event_id}/edit"): {"form": {"title": "改名"}},
        ("POST", "/console/events/{event_id}/cancel"): {"form": {"confirm": "yes"}},
        ("POST", "/console/events/{event_id}/walk-ins"): {"form": {
            "name": "越界来宾", "phone": "13700000009"}},
        ("POST", "/console/lessons/new"): {"form": {
            "title": "越界", "summary": "s", "body": "b", "publish_date": today}},
        ("POST", "/console/lessons/preview"): {"form": {"body": "越界"}},
        ("POST", "/console/lessons/{lesson_id}"): {"form": {
            "title": "越界", "summary": "s", "body": "b", "publish_date": today}},
        ("POST", "/console/lessons/{lesson_id}/cover"): {"form": {}, "files": {
            "cover": ("cover.png", png(), "image/png")}},
        ("POST", "/console/lessons/series"): {"form": {"name": "越界专题"}},
        ("POST", "/console/lessons/series/{series_id}/delete"): {"form": {}},
        ("POST", "/console/lessons/schedule"): {"form": {
            "day": today, "lesson_id": str(sibling["lesson_id"])}},
        ("POST", "/console/sensitive-words"): {"form": {"words": "越界新词"}},
        ("POST", "/console/sensitive-words/test"): {"form": {"text": "越界词"}},
        ("POST", "/console/sensitive-words/{word_id}/delete"): {"form": {}},
        ("POST", "/console/quiz-banks"): {"form": {}, "files": {
            "file": ("bank.csv", bank_csv(3, prefix="越界"), "text/csv")}},
        ("POST", "/console/quiz-banks/{bank_id}/activate"): {"form": {}},
        ("POST", "/console/quiz-banks/{bank_id}/delete"): {"form": {}},
        ("POST", "/console/roles"): {"form": {
            "entry_id": str(sibling["entry_id"]), "role": "organizer",
            "org_id": str(sibling["org_id"])}},
        ("POST", "/console/roles/{role_id}/revoke"): {"form": {}},
        ("POST", "/api/admin/notices"): {"json": {
            "title": "越界通知", "body": "越界", "org_ids": [sibling["org_id"]]}},
        ("POST", "/api/admin/notices/{notice_id}/send"): {},
        ("POST", "/console/notices/new"): {"form": {
            "title": "越界通知", "body": "越界", "org_ids": str(sibling["org_id"])}},
        ("POST", "/console/notices/preview"): {"form": {
            "title": "越界通知", "body": "越界", "org_ids": str(sibling["org_id"])}},
        ("POST", "/console/notices/{notice_id}/send"): {"form": {"confirm": "1"}},
    }


def _routes(app: FastAPI) -> list[tuple[str, str]]:
    routes = [(method, path) for method, path in protected_routes(app)
              if path.startswith(SCOPED_PREFIXES) and (method, path) not in PUBLIC
              and (method, path) not in OWN_SESSION]
    assert len(routes) >= 20, "the admin API and the console should be mounted"
    return routes


def _url(app: FastAPI, method: str, path: str, values: dict[str, int], *,
         optional_query: bool) -> tuple[str, dict[str, object]]:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in NEUTRAL_PATH:
            return NEUTRAL_PATH[name]
        if name not in SIBLING_TARGETS | SHARED_TARGETS:
            pytest.fail(f"{method} {path}: the scope walk does not know {{{name}}}; add it "
                        "to SIBLING_TARGETS or SHARED_TARGETS (and scope the route)")
        if name == "event_id" and MEETING_ONLY.search(path):
            return str(values["meeting_id"])
        return str(values[name])

    concrete = re.sub(r"\{([^}]+)\}", fill, path)
    query: dict[str, object] = {}
    operation = app.openapi()["paths"][path][method.lower()]
    for parameter in operation.get("parameters", []):
        if parameter["in"] != "query":
            continue
        name = parameter["name"]
        if name in SIBLING_TARGETS and (optional_query or parameter.get("required")):
            query[name] = values[name]
        elif parameter.get("required") and name in NEUTRAL_QUERY:
            query[name] = NEUTRAL_QUERY[name]
        elif parameter.get("required"):
            pytest.fail(f"{method} {path}: the scope walk does not know the required query "
                        f"parameter {name}; add it to SIBLING_TARGETS or NEUTRAL_QUERY")
    return concrete, query


def _text(answer: Any) -> str:
    """What a person would read in the answer, whatever its format."""
    kind = answer.headers.get("content-type", "")
    if "spreadsheetml" in kind:
        book = load_workbook(io.BytesIO(answer.content), read_only=True)
        return "\n".join(str(cell) for sheet in book.worksheets
                         for row in sheet.iter_rows(values_only=True)
                         for cell in row if cell is not None)
    return str(answer.content.decode("utf-8-sig", errors="replace"))


def _leaks(answer: Any, world: World) -> list[str]:
    text = _text(answer)
    flat = text.replace(" ", "")
    found = [marker for marker in SIBLING.values() if marker in flat]
    if "json" in answer.headers.get("content-type", ""):
        found += [f"{key}={value}" for key, value in _keyed(json.loads(text))
                  if isinstance(value, int) and value in world.sibling_ids.get(key, set())]
    return found


def _keyed(value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key, inner
            yield from _keyed(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from _keyed(inner)


def _snapshot(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    def read(session: Any) -> dict[str, list[tuple[Any, ...]]]:
        tables = {}
        for table in Base.metadata.sorted_tables:
            if table.name in VOLATILE_TABLES:
                continue
            columns = [column for column in table.columns if column.name not in VOLATILE_COLUMNS]
            rows = session.execute(select(*columns)).all()
            tables[table.name] = sorted(tuple(map(repr, row)) for row in rows)
        return tables
    return run_unit(database, read)


@pytest.fixture
def scoped(client: TestClient, database: Database, world: World) -> dict[str, str]:
    token = run_unit(database, lambda session: create_token(
        session, Role.ADMIN, "一支部书记", world.own["org_id"]))
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def console(app: FastAPI, database: Database, world: World) -> Iterator[TestClient]:
    token = run_unit(database, lambda session: create_token(
        session, Role.ADMIN, "一支部书记（后台）", world.own["org_id"]))
    with TestClient(app) as browser:
        sign_in(browser, token)
        yield browser


def test_a_branch_token_reads_nothing_of_its_sibling_on_any_route(
        app: FastAPI, client: TestClient, console: TestClient, scoped: dict[str, str],
        world: World) -> None:
    walked, seen_own = 0, ""
    for method, path in _routes(app):
        if method != "GET":
            continue
        caller, headers = (console, {}) if path.startswith("/console") else (client, scoped)
        for optional_query in (True, False):
            url, query = _url(app, method, path, world.ids, optional_query=optional_query)
            answer = caller.get(url, params=query, headers=headers, follow_redirects=False)
            assert answer.status_code < 500, (path, answer.status_code, answer.text)
            assert answer.status_code != 303, f"{path}: the console session was refused"
            leaks = _leaks(answer, world)
            assert not leaks, f"GET {url}?{query} shows the sibling branch: {leaks}"
            aimed = SIBLING_TARGETS & (set(re.findall(r"\{([^}]+)\}", path)) | set(query))
            if aimed:
                # The same request by an unscoped admin shows the sibling's rows: the
                # silence above is the scope's doing, not an empty fixture's.
                control = client.get(url, params=query, headers=AUTH)
                assert control.status_code == 200, (url, control.status_code)
                pictured = control.headers["content-type"].startswith("image/")
                if not path.startswith("/console") and not pictured:
                    assert _leaks(control, world), f"GET {url}: the control shows nothing"
            if answer.status_code == 200:
                seen_own += _text(answer)
            walked += 1
    assert walked > 10
    for marker in (MINE["person"], MINE["event"], MINE["org"]):
        assert marker in seen_own, f"the scoped token never saw its own {marker}"


def test_a_branch_token_changes_nothing_of_its_sibling_on_any_route(
        app: FastAPI, client: TestClient, console: TestClient, database: Database,
        scoped: dict[str, str], world: World) -> None:
    bodies = _bodies(world)
    csrf = csrf_of(console.get("/console").text)
    walked = 0
    for method, path in _routes(app):
        if method == "GET":
            continue
        if (method, path) not in bodies:
            pytest.fail(f"{method} {path}: the scope walk has no request aimed at the "
                        "sibling branch for this route; add one to _bodies (and scope it)")
        request = dict(bodies[(method, path)])
        url, query = _url(app, method, path, world.ids, optional_query=True)
        before = _snapshot(database)
        form = request.pop("form", None)
        if form is not None:
            answer = console.request(method, url, params=query, data={"csrf": csrf, **form},
                                     follow_redirects=False, **request)
        else:
            answer = client.request(method, url, params=query, headers=scoped, **request)
        refusals = (200, 403, 404, 422) if (method, path) in READ_ONLY_POSTS else (403, 404, 422)
        assert answer.status_code in refusals, (method, url, answer.status_code, answer.text)
        assert not _leaks(answer, world), (method, url, answer.text)
        assert _snapshot(database) == before, f"{method} {url} changed the database"
        walked += 1
    assert walked > 10


NOTICE_ROUTES = re.compile(r"^/(api/admin|console)/notices")


def test_a_branch_organizer_neither_reads_nor_sends_its_siblings_notices(
        app: FastAPI, client: TestClient, database: Database, world: World) -> None:
    """Organizers write and send notices too: the notice routes walked again with an
    organizer token scoped to the first branch, reading and then changing."""
    token = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "一支部组织委员", world.own["org_id"]))
    headers = {"Authorization": f"Bearer {token}"}
    routes = [(method, path) for method, path in _routes(app) if NOTICE_ROUTES.match(path)]
    bodies = _bodies(world)
    with TestClient(app) as console:
        sign_in(console, token)
        csrf = csrf_of(console.get("/console/notices/new").text)
        read = changed = 0
        for method, path in routes:
            caller, sent = (console, {}) if path.startswith("/console") else (client, headers)
            url, query = _url(app, method, path, world.ids, optional_query=True)
            if method == "GET":
                answer = caller.get(url, params=query, headers=sent, follow_redirects=False)
                assert answer.status_code in (200, 404), (url, answer.status_code)
                read += 1
            else:
                request = dict(bodies[(method, path)])
                form = request.pop("form", None)
                before = _snapshot(database)
                if form is not None:
                    answer = console.request(method, url, params=query,
                                             data={"csrf": csrf, **form},
                                             follow_redirects=False, **request)
                else:
                    answer = client.request(method, url, params=query, headers=headers,
                                            **request)
                refusals = (200, 404, 422) if (method, path) in READ_ONLY_POSTS else (404, 422)
                assert answer.status_code in refusals, (method, url, answer.status_code)
                assert _snapshot(database) == before, f"{method} {url} changed the database"
                changed += 1
            assert not _leaks(answer, world), (method, url, answer.text)
        # The list and the form answer the organizer (they are not refused outright), and
        # the form offers its own branch.
        assert MINE["org"] in console.get("/console/notices/new").text
        assert client.get("/api/admin/notices", headers=headers).status_code == 200
    assert read >= 6 and changed >= 5


def test_a_branch_import_touches_only_its_subtree(
        client: TestClient, scoped: dict[str, str], world: World) -> None:
    intruding = ("姓名,手机号,组织,政治面貌\n"
                 f"{SIBLING['person']},{SIBLING['phone']},机关党委/{MINE['org']},正式党员\n"
                 f"新同志,13700000003,机关党委/{SIBLING['org']},预备党员\n"
                 f"李四,13600000004,机关党委/{MINE['org']}/第一党小组,预备党员\n")
    refused = client.post("/api/admin/roster", headers=scoped,
                          files={"file": ("r.csv", intruding.encode(), "text/csv")})
    assert refused.status_code == 422
    assert [(e["row"], e["column"]) for e in refused.json()["errors"]] == \
        [(2, "手机号"), (3, "组织")]

    inside = "姓名,手机号,组织,政治面貌\n" \
             f"李四,13600000004,机关党委/{MINE['org']}/第一党小组,预备党员\n"
    done = client.post("/api/admin/roster", headers=scoped,
                       files={"file": ("r.csv", inside.encode(), "text/csv")})
    assert done.status_code == 201, done.text
    assert done.json()["orgs_created"] == 1
    tree = client.get("/api/admin/orgs", headers=scoped).json()
    assert [(node["name"], node["roster_count"]) for node in tree] == [(MINE["org"], 2)]
    assert [child["name"] for child in tree[0]["children"]] == ["第一党小组"]


def test_a_branch_token_manages_below_its_org_not_the_org_itself(
        client: TestClient, scoped: dict[str, str], world: World) -> None:
    own = world.own["org_id"]
    made = client.post("/api/admin/orgs", headers=scoped, json={"name": "第一党小组"})
    assert made.status_code == 201 and made.json()["parent_id"] == own
    group = made.json()["id"]
    assert client.patch(f"/api/admin/orgs/{group}", headers=scoped,
                        json={"name": "第二党小组"}).status_code == 200
    assert client.patch(f"/api/admin/orgs/{own}", headers=scoped,
                        json={"name": "改名"}).status_code == 403
    assert client.delete(f"/api/admin/orgs/{own}", headers=scoped).status_code == 403
    moved_out = client.patch(f"/api/admin/orgs/{group}", headers=scoped, json={"parent_id": None})
    assert moved_out.status_code == 422
    assert client.delete(f"/api/admin/orgs/{group}", headers=scoped).status_code == 204


def test_sign_up_lists_show_the_roster_org_of_bound_members(
        client: TestClient, world: World) -> None:
    listed = client.get(f"/api/admin/events/{world.own['event_id']}/signups", headers=AUTH)
    [row] = listed.json()["items"]
    assert (row["name"], row["branch"], row["org_id"]) == (
        MINE["person"], f"机关党委/{MINE['org']}", world.own["org_id"])
    exported = client.get(f"/api/admin/events/{world.own['event_id']}/signups.csv",
                          headers=AUTH)
    assert f"机关党委/{MINE['org']}" in exported.content.decode("utf-8-sig")


def test_a_branch_admin_assigns_events_to_its_own_organizers_only(
        client: TestClient, database: Database, scoped: dict[str, str], world: World) -> None:
    def tokens(session: Any) -> None:
        create_token(session, Role.ORGANIZER, "一支部组织委员", world.own["org_id"])
        create_token(session, Role.ORGANIZER, "二支部组织委员", world.ids["org_id"])
    run_unit(database, tokens)
    body = {"title": "党课", "location": "x", "capacity": 3,
            "starts_at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
    mine = client.post("/api/admin/events", headers=scoped,
                       json={**body, "organizer": "一支部组织委员"})
    assert mine.status_code == 201 and mine.json()["organizer"] == "一支部组织委员"
    theirs = client.post("/api/admin/events", headers=scoped,
                         json={**body, "organizer": "二支部组织委员"})
    assert theirs.status_code == 422 and "organizer" in theirs.text
