"""Lessons in the console over the ASGI app: forms with CSRF and Chinese errors, the Markdown
preview, covers, 专题 and the daily schedule, as chat and the mini-program then show them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.auth.tokens import Role, create_token
from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.main import create_app
from app.models import Lesson
from app.settings import Settings
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.app.test_wechat_callback import post, reply_content
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ADMIN = "console-admin-token-0123456789"
# The smallest PNG: a signature and enough of a header for the type check.
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def today() -> date:
    return datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai")).date()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, admin_token=ADMIN, max_upload_bytes=4096)


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    sign_in(client, ADMIN)
    return client


def _csrf(client: TestClient) -> str:
    return csrf_of(client.get("/console/lessons/new").text)


def _lesson_form(**overrides: str) -> dict[str, str]:
    return {"title": "党章学习第一讲", "summary": "总纲", "body": "# 总纲\n\n**坚持**党的领导",
            "publish_date": today().isoformat(), "series_id": "", "tags": "党章，总纲",
            "action": "save", **overrides}


def _create(client: TestClient, **overrides: str) -> int:
    response = client.post("/console/lessons/new",
                           data={"csrf": _csrf(client), **_lesson_form(**overrides)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    found = re.match(r"/console/lessons/(\d+)\?saved=1", response.headers["location"])
    assert found
    return int(found.group(1))


def _series(client: TestClient, name: str) -> int:
    csrf = _csrf(client)
    created = client.post("/console/lessons/series", data={"csrf": csrf, "name": name})
    assert created.status_code == 200, created.text
    found = re.search(r'data-series="(\d+)"[^>]*>\s*<div>\s*<a href="/console/lessons\?series=\d+">'
                      rf"<strong>《{name.strip('《》')}》", created.text)
    assert found
    return int(found.group(1))


def test_write_edit_and_list_a_lesson(admin: TestClient, database: Database) -> None:
    lesson_id = _create(admin)
    page = admin.get(f"/console/lessons/{lesson_id}?saved=1").text
    assert "已保存" in page and "<h1>总纲</h1>" in page and "<strong>坚持</strong>" in page
    edited = admin.post(f"/console/lessons/{lesson_id}",
                        data={"csrf": _csrf(admin), **_lesson_form(title="党章学习（修订）")},
                        follow_redirects=False)
    assert edited.status_code == 303
    assert "党章学习（修订）" in admin.get("/console/lessons").text
    with database.unit_of_work() as session:
        lesson = session.get(Lesson, lesson_id)
        assert lesson is not None and lesson.tags == ["党章", "总纲"]


def test_preview_renders_safely_and_saves_nothing(admin: TestClient,
                                                  database: Database) -> None:
    shown = admin.post("/console/lessons/new", data={
        "csrf": _csrf(admin), **_lesson_form(body="## 小标题\n<script>alert(1)</script>",
                                             action="preview")})
    assert shown.status_code == 200
    assert "<h2>小标题</h2>" in shown.text
    assert "<script>alert(1)</script>" not in shown.text
    assert "&lt;script&gt;" in shown.text
    fragment = admin.post("/console/lessons/preview", headers={"HX-Request": "true"},
                          data={"csrf": _csrf(admin), "body": "- 一\n- 二"})
    assert fragment.text.startswith('<div id="preview"') and "<li>二</li>" in fragment.text
    assert admin.post("/console/lessons/preview", data={"body": "x"}).status_code == 403
    with database.unit_of_work() as session:
        assert session.scalars(select(Lesson)).all() == []


def test_bad_fields_are_named_in_chinese_and_the_text_is_kept(admin: TestClient) -> None:
    response = admin.post("/console/lessons/new", data={
        "csrf": _csrf(admin), **_lesson_form(title="", publish_date="明天",
                                             body="辛辛苦苦写的正文")})
    assert response.status_code == 422
    assert "请填写标题" in response.text and "请按 年-月-日 填写发布日期" in response.text
    assert "辛辛苦苦写的正文" in response.text
    forged = admin.post("/console/lessons/new", data={"csrf": "forged", **_lesson_form()})
    assert forged.status_code == 403 and "页面已过期" in forged.text


def test_cover_upload_in_the_database_and_refusals(admin: TestClient,
                                                   database: Database) -> None:
    lesson_id = _create(admin)
    csrf = _csrf(admin)
    done = admin.post(f"/console/lessons/{lesson_id}/cover", data={"csrf": csrf},
                      files={"cover": ("封面.png", PNG, "image/png")}, follow_redirects=False)
    assert done.status_code == 303
    with database.unit_of_work() as session:
        lesson = session.get(Lesson, lesson_id)
        assert lesson is not None and lesson.cover_url
        cover_path = lesson.cover_url.split("127.0.0.1:8000", 1)[-1]
    served = admin.get(cover_path)
    assert served.content == PNG and served.headers["content-type"] == "image/png"
    assert f'src="{lesson.cover_url}"' in admin.get(f"/console/lessons/{lesson_id}").text

    not_image = admin.post(f"/console/lessons/{lesson_id}/cover", data={"csrf": csrf},
                           files={"cover": ("a.png", b"<svg onload=alert(1)>", "image/png")})
    assert not_image.status_code == 422 and "封面只能是 JPG、PNG 或 GIF 图片" in not_image.text
    too_big = admin.post(f"/console/lessons/{lesson_id}/cover", data={"csrf": csrf},
                         files={"cover": ("big.png", PNG + b"\x00" * 8000, "image/png")})
    assert too_big.status_code == 413 and "大小限制" in too_big.text
    forged = admin.post(f"/console/lessons/{lesson_id}/cover", data={"csrf": "forged"},
                        files={"cover": ("b.png", PNG, "image/png")})
    assert forged.status_code == 403


def test_cover_upload_into_the_media_dir(database_url: str, tmp_path: Path) -> None:
    media = tmp_path / "media"
    app = create_app(make_settings(database_url, admin_token=ADMIN, media_dir=str(media)))
    with TestClient(app) as client:
        sign_in(client, ADMIN)
        lesson_id = _create(client)
        client.post(f"/console/lessons/{lesson_id}/cover", data={"csrf": _csrf(client)},
                    files={"cover": ("c.gif", b"GIF89a" + b"\x00" * 20, "image/gif")})
        stored = list((media / "lesson-covers").iterdir())
        assert len(stored) == 1 and stored[0].read_bytes().startswith(b"GIF89a")
        assert stored[0].name.startswith(f"lesson-{lesson_id}-")
        served = client.get(f"/lessons/{lesson_id}/cover")
        assert served.status_code == 200 and served.headers["content-type"] == "image/gif"


def test_series_group_the_chat_list(admin: TestClient, platform: Platform) -> None:
    home = _series(admin, "《党员之家》")
    models = _series(admin, "榜样说")
    again = admin.post("/console/lessons/series", data={"csrf": _csrf(admin), "name": "榜样说"})
    assert again.status_code == 422 and "已有名为《榜样说》的专题" in again.text
    yesterday = (today() - timedelta(days=1)).isoformat()
    _create(admin, title="党章第一讲", series_id=str(home), publish_date=yesterday)
    _create(admin, title="张桂梅的故事", series_id=str(models), publish_date=yesterday)
    _create(admin, title="时事一课", publish_date=yesterday)
    def chat(text: str) -> str:
        return reply_content(post(admin, *platform.plain(message_xml("text", content=text)))[1])

    listing = chat("课程")
    assert listing.splitlines()[1:] == ["《党员之家》", "1. 党章第一讲", "《榜样说》",
                                        "2. 张桂梅的故事", "其他课程", "3. 时事一课"]
    only = chat("课程 榜样说")
    assert only.splitlines()[1:] == ["2. 张桂梅的故事"]
    assert "《党员之家》" in admin.get(f"/console/lessons?series={home}").text


def test_the_schedule_decides_the_daily_lesson(admin: TestClient, platform: Platform) -> None:
    day = today()
    first = _create(admin, title="早发布的一课", publish_date=(day - timedelta(days=9)).isoformat())
    _create(admin, title="今天发布的一课", publish_date=day.isoformat())
    later = _create(admin, title="下周的一课", publish_date=(day + timedelta(days=7)).isoformat())
    page = admin.get("/console/lessons/schedule").text
    assert page.count('<tr id="day-') == 14

    chosen = admin.post("/console/lessons/schedule", data={
        "csrf": _csrf(admin), "day": day.isoformat(), "lesson_id": str(first)},
        follow_redirects=False)
    assert chosen.status_code == 303
    reply = post(admin, *platform.plain(message_xml("text", content="学习")))[1]
    assert "<Title><![CDATA[早发布的一课]]></Title>" in reply
    assert "已指定" in admin.get("/console/lessons/schedule").text

    too_early = admin.post("/console/lessons/schedule", data={
        "csrf": _csrf(admin), "day": day.isoformat(), "lesson_id": str(later)})
    assert too_early.status_code == 422 and "才发布，不能安排在" in too_early.text

    admin.post("/console/lessons/schedule", data={
        "csrf": _csrf(admin), "day": day.isoformat(), "lesson_id": ""})
    reply = post(admin, *platform.plain(message_xml("text", content="学习")))[1]
    assert "<Title><![CDATA[今天发布的一课]]></Title>" in reply


def test_organizers_may_not_edit_lessons(client: TestClient, database: Database) -> None:
    token = run_unit(database, lambda s: create_token(s, Role.ORGANIZER, "alice"))
    sign_in(client, token)
    for path in ("/console/lessons", "/console/lessons/new", "/console/lessons/schedule",
                 "/console/lessons/series"):
        response = client.get(path)
        assert response.status_code == 403 and "只有管理员可以编辑课程" in response.text


@pytest.fixture(scope="module")
def wechat_server() -> Iterator[FakeWeChatServer]:
    with FakeWeChatServer() as running:
        yield running


def test_the_mini_program_lists_lessons_by_series(
        database_url: str, wechat_server: FakeWeChatServer) -> None:
    httpx.post(f"{wechat_server.url}/_fake/reset").raise_for_status()
    app = create_app(make_settings(database_url, admin_token=ADMIN,
                                   wechat_api_base=wechat_server.url))
    with TestClient(app) as client:
        sign_in(client, ADMIN)
        home = _series(client, "党员之家")
        yesterday = (today() - timedelta(days=1)).isoformat()
        _create(client, title="无专题", publish_date=yesterday)
        _create(client, title="党章第一讲", series_id=str(home), publish_date=yesterday)
        token = client.post("/api/mp/login", json={"code": "mp-series"}).json()["token"]
        groups = client.get("/api/mp/lesson-series",
                            headers={"Authorization": f"Bearer {token}"}).json()
        assert [(g["name"], [(x["number"], x["title"]) for x in g["lessons"]])
                for g in groups] == [("党员之家", [(2, "党章第一讲")]), (None, [(1, "无专题")])]
        flat = client.get("/api/mp/lessons", headers={"Authorization": f"Bearer {token}"}).json()
        assert [x["series"] for x in flat] == [None, "党员之家"]
