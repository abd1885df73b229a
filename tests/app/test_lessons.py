"""Lessons over the admin API and the public lesson page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from tests.app.conftest import make_settings

ADMIN = "lesson-admin-token"
AUTH = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def admin(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as client:
        yield client


def test_create_list_and_read_a_lesson(admin: TestClient) -> None:
    created = admin.post("/api/admin/lessons", headers=AUTH, json={
        "title": "党章里的“四个服从”<b>", "summary": "五分钟读懂<i>组织原则</i>",
        "body": "## 要点\n\n- 个人服从组织\n- **少数**服从多数\n\n<script>alert(1)</script>\n"
                "[坏链接](javascript:alert(1))",
        "tags": ["党章"], "link": "https://example.org/more",
    })
    assert created.status_code == 201, created.text
    lesson = created.json()
    listed = admin.get("/api/admin/lessons", headers=AUTH).json()
    assert [item["id"] for item in listed] == [lesson["id"]]
    page = admin.get(f"/lessons/{lesson['id']}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h2>要点</h2>" in html and "<strong>少数</strong>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html
    assert "&lt;b&gt;" in html and "<i>" not in html
    assert 'name="viewport"' in html and "阅读原文" in html


def test_scheduled_lessons_are_hidden_and_input_is_checked(admin: TestClient) -> None:
    later = (date.today() + timedelta(days=30)).isoformat()
    lesson = admin.post("/api/admin/lessons", headers=AUTH,
                        json={"title": "明天的课", "publish_date": later}).json()
    assert admin.get(f"/lessons/{lesson['id']}").status_code == 404
    assert admin.get("/lessons/987654").status_code == 404
    bad = admin.post("/api/admin/lessons", headers=AUTH, json={"title": "", "link": "nope"})
    assert bad.status_code == 422
    fields = {error["field"] for error in bad.json()["errors"]}
    assert {"title", "link"} <= fields
    assert admin.post("/api/admin/lessons", json={"title": "x"}).status_code == 401
