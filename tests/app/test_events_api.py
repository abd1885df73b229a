"""The events admin API and the organizer's sign-up lists, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.auth.tokens import Role, create_token
from app.db import Database
from app.events.signups import sign_up
from app.models import Member, OutboxMessage, PointsEntry, Signup
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.support.factories import create_event, create_member
from tests.support.units import run_unit

ADMIN = "test-admin-token-0123456789"
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url, admin_token=ADMIN)


@pytest.fixture
def tokens(database: Database) -> dict[str, str]:
    def work(session: Session) -> dict[str, str]:
        return {"alice": create_token(session, Role.ORGANIZER, "alice"),
                "bob": create_token(session, Role.ORGANIZER, "bob")}

    return run_unit(database, work)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def future(days: float = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).astimezone(ZONE).isoformat()


def new_event(client: TestClient, **overrides: object) -> dict[str, object]:
    body = {"title": "主题党日：重温入党誓词", "description": "请带党徽", "location": "三楼会议室",
            "starts_at": future(), "capacity": 2, "organizer": "alice", **overrides}
    response = client.post("/api/admin/events", json=body, headers=auth(ADMIN))
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


def signed_up(database: Database, event_id: int, *names: str | None) -> list[int]:
    def work(session: Session) -> list[int]:
        ids = []
        for name in names:
            member = create_member(session, name=name, phone="13800138000", branch="第一党支部")
            sign_up(session, member.id, event_id, datetime.now(UTC), ZONE)
            ids.append(member.id)
        return ids

    return run_unit(database, work)


def outbox(database: Database, kind: str) -> list[OutboxMessage]:
    def work(session: Session) -> list[OutboxMessage]:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                    .order_by(OutboxMessage.id)))

    return run_unit(database, work)


@pytest.fixture
def api(client: TestClient, tokens: dict[str, str]) -> TestClient:
    """The client, with the organizer tokens alice and bob that events are assigned to."""
    return client


def test_create_stores_utc_and_shows_local_time(api: TestClient) -> None:
    event = new_event(api, starts_at="2030-05-04T14:30:00+08:00")
    assert event["starts_at"] in ("2030-05-04T06:30:00Z", "2030-05-04T06:30:00+00:00")
    assert event["starts_at_local"] == "2030-05-04T14:30+08:00"
    assert event["remind_before_minutes"] == 60
    assert event["seats_left"] == 2 and event["status"] == "scheduled"


def test_a_time_without_offset_is_read_in_the_service_time_zone(api: TestClient) -> None:
    event = new_event(api, starts_at="2030-05-04T14:30", signup_deadline="2030-05-03T20:00:00")
    assert event["starts_at"] in ("2030-05-04T06:30:00Z", "2030-05-04T06:30:00+00:00")
    assert event["signup_deadline"] in ("2030-05-03T12:00:00Z", "2030-05-03T12:00:00+00:00")
    moved = api.patch(f"/api/admin/events/{event['id']}", headers=auth(ADMIN),
                      json={"starts_at": "2030-06-01T09:00", "signup_deadline": None})
    assert moved.status_code == 200, moved.text
    assert moved.json()["starts_at_local"] == "2030-06-01T09:00+08:00"
    assert moved.json()["signup_deadline"] is None
    # With an offset a time is taken exactly as given, whatever the service's zone.
    exact = api.patch(f"/api/admin/events/{event['id']}", headers=auth(ADMIN),
                      json={"starts_at": "2030-06-01T09:00:00-05:00"})
    assert exact.json()["starts_at"] in ("2030-06-01T14:00:00Z", "2030-06-01T14:00:00+00:00")


def test_the_zone_is_the_configured_one(database_url: str) -> None:
    from app.main import create_app

    settings = make_settings(database_url, admin_token=ADMIN, timezone="America/New_York")
    with TestClient(create_app(settings)) as other:
        event = new_event(other, starts_at="2030-12-20T09:00", organizer=None)
    assert event["starts_at"] in ("2030-12-20T14:00:00Z", "2030-12-20T14:00:00+00:00")
    assert event["starts_at_local"] == "2030-12-20T09:00-05:00"


def test_the_openapi_description_says_how_times_are_read(api: TestClient) -> None:
    schemas = api.get("/openapi.json").json()["components"]["schemas"]
    for model in ("EventCreate", "EventPatch"):
        for field in ("starts_at", "signup_deadline"):
            text = str(schemas[model]["properties"][field])
            assert "HONGXIN_TIMEZONE" in text and "offset" in text, (model, field)


@pytest.mark.parametrize(("change", "field"), [
    ({"starts_at": "tomorrow"}, "starts_at"),
    ({"starts_at": "2030-05-04T25:00"}, "starts_at"),
    ({"capacity": 0}, "capacity"),
    ({"title": ""}, "title"),
    ({"location": "x" * 101}, "location"),
    ({"remind_before_minutes": -5}, "remind_before_minutes"),
    ({"starts_at": "2020-01-01T08:00:00+08:00"}, "starts_at"),
    ({"signup_deadline": "2031-01-01T08:00:00+08:00", "starts_at": "2030-01-01T08:00:00+08:00"},
     "signup_deadline"),
    ({"colour": "red"}, "colour"),
])
def test_bad_input_is_422_naming_the_field(api: TestClient, change: dict[str, object],
                                           field: str) -> None:
    body = {"title": "t", "location": "l", "starts_at": future(), "capacity": 3, **change}
    response = api.post("/api/admin/events", json=body, headers=auth(ADMIN))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert field in [error["field"] for error in response.json()["errors"]]


def test_tokens_and_roles(api: TestClient, tokens: dict[str, str]) -> None:
    body = {"title": "t", "location": "l", "starts_at": future(), "capacity": 3}
    assert api.post("/api/admin/events", json=body).status_code == 401
    assert api.post("/api/admin/events", json=body, headers=auth("nope")).status_code == 401
    assert api.post("/api/admin/events", json=body,
                    headers=auth(tokens["alice"])).status_code == 403
    event = new_event(api)
    assert api.patch(f"/api/admin/events/{event['id']}", json={"capacity": 9},
                     headers=auth(tokens["alice"])).status_code == 403
    assert api.delete(f"/api/admin/events/{event['id']}",
                      headers=auth(tokens["alice"])).status_code == 403


def test_an_organizer_never_sees_another_organizers_events(
        api: TestClient, database: Database, tokens: dict[str, str]) -> None:
    mine = new_event(api, organizer="alice")
    theirs = new_event(api, organizer="bob", title="志愿服务")
    signed_up(database, int(theirs["id"]), "李四")

    listed = api.get("/api/admin/events", headers=auth(tokens["alice"])).json()
    assert [event["id"] for event in listed] == [mine["id"]]
    for path in ("", "/signups", "/signups.csv", "/signups.xlsx"):
        response = api.get(f"/api/admin/events/{theirs['id']}{path}",
                           headers=auth(tokens["alice"]))
        assert response.status_code == 403, path
        assert "李四" not in response.text
    assert api.post(f"/api/admin/events/{theirs['id']}/signups/1/checkin",
                    headers=auth(tokens["alice"])).status_code == 403
    everything = api.get("/api/admin/events", headers=auth(ADMIN)).json()
    assert {event["id"] for event in everything} == {mine["id"], theirs["id"]}
    assert api.get("/api/admin/events/999999", headers=auth(ADMIN)).status_code == 404


def test_signup_list_csv_and_xlsx(api: TestClient, database: Database,
                                  tokens: dict[str, str]) -> None:
    event = new_event(api, capacity=2)
    signed_up(database, int(event["id"]), "张三", "=HYPERLINK(1)", "王五", None)

    page = api.get(f"/api/admin/events/{event['id']}/signups",
                   headers=auth(tokens["alice"])).json()
    assert page["total"] == 4
    assert [item["status"] for item in page["items"]] == ["confirmed", "confirmed",
                                                            "waitlisted", "waitlisted"]
    assert [item["waitlist_position"] for item in page["items"]] == [None, None, 1, 2]
    assert page["event"]["confirmed"] == 2 and page["event"]["waitlisted"] == 2

    limited = api.get(f"/api/admin/events/{event['id']}/signups?limit=1&offset=2",
                      headers=auth(tokens["alice"])).json()
    assert limited["total"] == 4 and [i["name"] for i in limited["items"]] == ["王五"]
    searched = api.get(f"/api/admin/events/{event['id']}/signups", params={"q": "张"},
                       headers=auth(tokens["alice"])).json()
    assert [i["name"] for i in searched["items"]] == ["张三"]
    waiting = api.get(f"/api/admin/events/{event['id']}/signups?view=waitlisted",
                      headers=auth(tokens["alice"])).json()
    assert waiting["total"] == 2

    response = api.get(f"/api/admin/events/{event['id']}/signups.csv",
                       headers=auth(tokens["alice"]))
    assert response.status_code == 200
    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["序号", "姓名", "电话", "支部", "状态"]
    assert rows[1][1:5] == ["张三", "138 0013 8000", "第一党支部", "已报名"]
    assert rows[2][1] == "'=HYPERLINK(1)"  # never a live formula in Excel
    assert len(rows) == 5 and rows[3][4] == "候补"

    response = api.get(f"/api/admin/events/{event['id']}/signups.xlsx",
                       headers=auth(tokens["alice"]))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[1][:2] == ["序号", "姓名"]
    assert values[2][1] == "张三" and len(values) == 6


def test_move_moves_pending_reminders(api: TestClient, database: Database) -> None:
    event = new_event(api, capacity=5, remind_before_minutes=30)
    signed_up(database, int(event["id"]), "张三", "李四")
    [first, _] = outbox(database, "event_reminder")
    starts = datetime.fromisoformat(str(event["starts_at"]).replace("Z", "+00:00"))
    assert first.due_at == starts - timedelta(minutes=30)
    assert first.payload["template_data"]["thing1"] == "主题党日：重温入党誓词"
    assert first.status == "pending" and first.dedup_key.startswith("event-reminder:")

    moved = "2031-03-01T09:00:00+08:00"
    response = api.patch(f"/api/admin/events/{event['id']}", json={"starts_at": moved},
                         headers=auth(ADMIN))
    assert response.status_code == 200, response.text
    for reminder in outbox(database, "event_reminder"):
        assert reminder.due_at == datetime(2031, 3, 1, 0, 30, tzinfo=UTC)
        assert reminder.payload["template_data"]["time2"] == "2031年03月01日 09:00"
        assert "2031年03月01日 09:00" in reminder.payload["text"]
        # Not sent once the event has begun: the dispatcher reads the new start.
        assert (datetime.fromisoformat(reminder.payload["expires_at"])
                == datetime(2031, 3, 1, 1, 0, tzinfo=UTC))


def test_more_seats_promote_the_waitlist_fewer_than_taken_is_refused(
        api: TestClient, database: Database) -> None:
    event = new_event(api, capacity=1)
    signed_up(database, int(event["id"]), "张三", "李四", "王五")
    path = f"/api/admin/events/{event['id']}"
    response = api.patch(path, json={"capacity": 2}, headers=auth(ADMIN))
    assert response.json()["confirmed"] == 2 and response.json()["waitlisted"] == 1
    assert len(outbox(database, "waitlist_promotion")) == 1
    response = api.patch(path, json={"capacity": 1}, headers=auth(ADMIN))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "capacity"


def test_cancel_withdraws_reminders_and_tells_everyone(api: TestClient,
                                                       database: Database) -> None:
    event = new_event(api, capacity=1)
    signed_up(database, int(event["id"]), "张三", "李四")
    response = api.delete(f"/api/admin/events/{event['id']}", headers=auth(ADMIN))
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert [r.status for r in outbox(database, "event_reminder")] == ["withdrawn"]
    told = outbox(database, "event_cancelled")
    assert len(told) == 2
    assert len({r.dedup_key for r in told}) == 2
    assert "已取消" in told[0].payload["text"]
    # Cancelling twice tells nobody twice.
    api.delete(f"/api/admin/events/{event['id']}", headers=auth(ADMIN))
    assert len(outbox(database, "event_cancelled")) == 2
    assert api.patch(f"/api/admin/events/{event['id']}", json={"title": "x"},
                     headers=auth(ADMIN)).status_code == 422


def test_console_style_check_in_awards_points_once(api: TestClient, database: Database,
                                                   tokens: dict[str, str]) -> None:
    event = new_event(api, capacity=1, starts_at=future(days=30 / 1440))
    signed_up(database, int(event["id"]), "张三", "李四")
    page = api.get(f"/api/admin/events/{event['id']}/signups", headers=auth(ADMIN)).json()
    confirmed, waiting = page["items"]
    path = f"/api/admin/events/{event['id']}/signups"
    first = api.post(f"{path}/{confirmed['id']}/checkin", headers=auth(tokens["alice"])).json()
    again = api.post(f"{path}/{confirmed['id']}/checkin", headers=auth(tokens["alice"])).json()
    assert (first["outcome"], first["points"]) == ("checked_in", 3)
    assert (again["outcome"], again["points"]) == ("already_checked_in", 0)
    assert api.post(f"{path}/{waiting['id']}/checkin",
                    headers=auth(tokens["alice"])).json()["outcome"] == "waitlisted"
    checked = api.get(f"{path}?view=checked_in", headers=auth(ADMIN)).json()
    assert [i["name"] for i in checked["items"]] == ["张三"]

    def members(session: Session) -> list[str | None]:
        return list(session.scalars(select(Member.name)))

    assert "张三" in run_unit(database, members)


def ledger(database: Database) -> list[tuple[str, str, int]]:
    def work(session: Session) -> list[tuple[str, str, int]]:
        rows = session.execute(select(PointsEntry.activity, PointsEntry.reference,
                                      PointsEntry.delta).order_by(PointsEntry.id))
        return [(activity, reference, delta) for activity, reference, delta in rows]

    return run_unit(database, work)


def test_check_in_is_open_from_an_hour_before_until_the_end(
        api: TestClient, database: Database, tokens: dict[str, str]) -> None:
    def events(session: Session) -> dict[str, int]:
        now = datetime.now(UTC)
        made = {"early": now + timedelta(minutes=65), "open": now + timedelta(minutes=55),
                "running": now - timedelta(hours=3, minutes=50),
                "ended": now - timedelta(hours=4, minutes=5)}
        ids = {}
        for key, starts_at in made.items():
            event = create_event(session, organizer="alice", starts_at=starts_at)
            member = create_member(session, name=key)
            session.add(Signup(event_id=event.id, member_id=member.id, status="confirmed",
                               created_at=now, confirmed_at=now))
            session.flush()
            ids[key] = event.id
        return ids

    ids = run_unit(database, events)
    outcomes = {}
    for key, event_id in ids.items():
        [item] = api.get(f"/api/admin/events/{event_id}/signups",
                         headers=auth(tokens["alice"])).json()["items"]
        outcomes[key] = api.post(f"/api/admin/events/{event_id}/signups/{item['id']}/checkin",
                                 headers=auth(tokens["alice"])).json()["outcome"]
    assert outcomes == {"early": "too_early", "open": "checked_in", "running": "checked_in",
                        "ended": "too_late"}
    assert sum(delta for _a, _r, delta in ledger(database)) == 6


def test_undo_reverses_the_points_and_a_new_check_in_awards_them_once(
        api: TestClient, database: Database, tokens: dict[str, str]) -> None:
    event = new_event(api, capacity=2, starts_at=future(days=30 / 1440))
    signed_up(database, int(event["id"]), "张三")
    path = f"/api/admin/events/{event['id']}/signups"
    [item] = api.get(path, headers=auth(ADMIN)).json()["items"]
    checkin = f"{path}/{item['id']}/checkin"
    alice = auth(tokens["alice"])

    assert api.post(checkin, headers=alice).json()["points"] == 3
    undone = api.delete(checkin, headers=alice).json()
    assert (undone["outcome"], undone["checked_in_at"]) == ("undone", None)
    assert api.delete(checkin, headers=alice).json()["outcome"] == "not_checked_in"
    assert [i["name"] for i in api.get(f"{path}?view=checked_in", headers=alice)
            .json()["items"]] == []
    assert api.post(checkin, headers=alice).json()["points"] == 3
    assert api.post(checkin, headers=alice).json()["outcome"] == "already_checked_in"
    assert api.delete(checkin, headers=alice).json()["outcome"] == "undone"
    assert api.post(checkin, headers=alice).json()["points"] == 3

    lines = ledger(database)
    # Nothing deleted: three awards, two reversals, and three points in all.
    assert [delta for _a, _r, delta in lines] == [3, -3, 3, -3, 3]
    assert [a for a, _r, _d in lines] == ["event_checkin", "correction"] * 2 + ["event_checkin"]
    assert len({reference for _a, reference, _d in lines}) == 5
    assert sum(delta for _a, _r, delta in lines) == 3


def test_undo_is_only_for_a_recent_check_in_by_an_organizer(
        api: TestClient, database: Database, tokens: dict[str, str]) -> None:
    event = new_event(api, capacity=2, starts_at=future(days=30 / 1440))
    signed_up(database, int(event["id"]), "张三", "李四")
    path = f"/api/admin/events/{event['id']}/signups"
    first, second = api.get(path, headers=auth(ADMIN)).json()["items"]
    alice = auth(tokens["alice"])
    api.post(f"{path}/{first['id']}/checkin", headers=alice)

    def age_and_self_scan(session: Session) -> None:
        session.execute(update(Signup).where(Signup.id == first["id"])
                        .values(checked_in_at=datetime.now(UTC) - timedelta(minutes=11)))
        session.execute(update(Signup).where(Signup.id == second["id"])
                        .values(checked_in_at=datetime.now(UTC), checked_in_by="chat"))

    run_unit(database, age_and_self_scan)
    for item in (first, second):
        answer = api.delete(f"{path}/{item['id']}/checkin", headers=alice).json()
        assert answer["outcome"] == "not_undoable" and answer["checked_in_at"] is not None
    assert api.delete(f"{path}/{first['id']}/checkin",
                      headers=auth(tokens["bob"])).status_code == 403
    assert sum(delta for _a, _r, delta in ledger(database)) == 3
