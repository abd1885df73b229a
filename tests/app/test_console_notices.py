"""Notices in the console: the form and its live preview, the send with its confirm box,
the counts by channel afterwards, organizers writing and sending their own, and what an
organizer or a branch admin may not do."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from app.auth.tokens import Role, create_token
from app.db import Database
from app.fakewechat import FakeWeChatServer
from app.main import create_app
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.app.test_notices import APPID, SECRET
from tests.support.fake_platform import FakeControl
from tests.support.notices import MP_TEMPLATE, NoticeParty, seed_party
from tests.support.units import run_unit

ADMIN = "console-notices-admin"


@pytest.fixture
def setup(database_url: str, database: Database, fake_server: FakeWeChatServer
          ) -> Iterator[tuple[TestClient, NoticeParty]]:
    fake = FakeControl(fake_server.url)
    fake.reset()
    fake.close()
    party = run_unit(database, seed_party)
    app = create_app(make_settings(
        database_url, admin_token=ADMIN, wechat_api_base=fake_server.url,
        wechat_app_id=APPID, wechat_app_secret=SECRET, mp_reminder_template_id=MP_TEMPLATE))
    with TestClient(app) as client:
        sign_in(client, ADMIN)
        yield client, party


def _form(party: NoticeParty, csrf: str, **fields: object) -> dict[str, object]:
    return {"csrf": csrf, "title": "学习通知", "body": "请学习第三章。",
            "org_ids": [str(party.orgs["第一党支部"])], **fields}


def test_write_preview_send_and_read_the_counts(
        setup: tuple[TestClient, NoticeParty]) -> None:
    client, party = setup
    listed = client.get("/console/notices")
    assert listed.status_code == 200 and "还没有通知" in listed.text
    assert 'href="/console/notices" aria-current="page"' in listed.text
    form = client.get("/console/notices/new")
    assert form.status_code == 200
    for name in ("机关党委", "第一党支部", "第一党小组", "第二党支部", "全体党员"):
        assert name in form.text
    csrf = csrf_of(form.text)

    preview = client.post("/console/notices/preview", headers={"X-CSRF-Token": csrf,
                                                               "HX-Request": "true"},
                          data=_form(party, csrf, title="预览标题"))
    assert preview.status_code == 200
    assert preview.text.lstrip().startswith('<div id="preview"')
    assert "【通知】预览标题" in preview.text and "第一党支部" in preview.text
    assert client.post("/console/notices/preview", data={"title": "x"}).status_code == 403

    refused = client.post("/console/notices/new", data=_form(party, csrf, title="", org_ids=[]))
    assert refused.status_code == 422
    assert 'id="title-error"' in refused.text and "请至少选择一个组织" in refused.text
    assert "请学习第三章。" in refused.text  # what was typed stays

    created = client.post("/console/notices/new", data=_form(party, csrf),
                          follow_redirects=False)
    assert created.status_code == 303
    location = created.headers["location"]
    found = re.fullmatch(r"/console/notices/(\d+)\?created=1", location)
    assert found
    page = client.get(location)
    assert "草稿" in page.text and 'id="send-form"' in page.text
    assert "【通知】学习通知" in page.text

    unconfirmed = client.post(f"/console/notices/{found.group(1)}/send", data={"csrf": csrf})
    assert unconfirmed.status_code == 422 and "确认发送" in unconfirmed.text
    sent = client.post(f"/console/notices/{found.group(1)}/send",
                       data={"csrf": csrf, "confirm": "1"}, follow_redirects=False)
    assert sent.status_code == 303
    done = client.get(sent.headers["location"])
    assert re.search(r'id="count-mass">群发 <b>2</b>', done.text)
    assert re.search(r'id="count-on-the-way">发送中 <b>2</b>', done.text)
    assert "未关注公众号" in done.text and 'id="send-form"' not in done.text
    again = client.post(f"/console/notices/{found.group(1)}/send",
                        data={"csrf": csrf, "confirm": "1"})
    assert again.status_code == 409 and "已经发送过了" in again.text
    listed = client.get("/console/notices")
    assert "学习通知" in listed.text and "已发送" in listed.text
    stale = client.post(f"/console/notices/{found.group(1)}/send", data={"csrf": "stale"})
    assert stale.status_code == 403 and "页面已过期" in stale.text


def test_other_branches_and_organizers_are_refused_in_chinese(
        setup: tuple[TestClient, NoticeParty], database: Database) -> None:
    client, party = setup
    csrf = csrf_of(client.get("/console/notices/new").text)
    created = client.post("/console/notices/new", data=_form(party, csrf),
                          follow_redirects=False)
    notice = created.headers["location"].split("?")[0]

    def token(role: Role, org: str | None) -> str:
        return run_unit(database, lambda s: create_token(
            s, role, f"{role}-{org}", party.orgs[org] if org else None))

    # An organizer of no org sees only the notices it wrote: the admin's is another's.
    organizer = TestClient(client.app)
    sign_in(organizer, token(Role.ORGANIZER, None))
    answer = organizer.get("/console/notices")
    assert answer.status_code == 200 and "学习通知" not in answer.text
    assert 'href="/console/notices"' in organizer.get("/console").text
    assert "全体党员" not in organizer.get("/console/notices/new").text
    organizer_csrf = csrf_of(answer.text)
    foreign = organizer.post(f"{notice}/send", data={"csrf": organizer_csrf, "confirm": "1"})
    assert foreign.status_code == 403
    assert organizer.get(notice).status_code == 403

    branch = TestClient(client.app)
    sign_in(branch, token(Role.ADMIN, "第二党支部"))
    form = branch.get("/console/notices/new")
    assert "第二党支部" in form.text and "第一党支部" not in form.text
    assert "全体党员" not in form.text
    assert branch.get(notice).status_code == 404
    assert "学习通知" not in branch.get("/console/notices").text
    branch_csrf = csrf_of(form.text)
    intruding = branch.post("/console/notices/new", data=_form(party, branch_csrf))
    assert intruding.status_code == 422
    assert f"没有编号为 {party.orgs['第一党支部']} 的组织" in intruding.text
    refused = branch.post(f"{notice}/send", data={"csrf": branch_csrf, "confirm": "1"})
    assert refused.status_code == 404 and "没有找到" in refused.text


def test_a_branch_organizer_writes_previews_and_sends_from_the_console(
        setup: tuple[TestClient, NoticeParty], database: Database) -> None:
    client, party = setup
    token = run_unit(database, lambda s: create_token(
        s, Role.ORGANIZER, "一支部组织委员", party.orgs["第一党支部"]))
    # The same client, signed in again: the send calls the platform through the app's
    # HTTP client, which lives in this client's event loop.
    organizer = client
    sign_in(organizer, token)
    home = organizer.get("/console")
    assert 'href="/console/notices"' in home.text
    assert 'href="/console/lessons"' not in home.text  # still admins' only
    form = organizer.get("/console/notices/new")
    assert form.status_code == 200
    assert "第一党小组" in form.text and "第二党支部" not in form.text
    assert "全体党员" not in form.text
    csrf = csrf_of(form.text)
    preview = organizer.post("/console/notices/preview", headers={"X-CSRF-Token": csrf},
                             data=_form(party, csrf, title="小组会"))
    assert preview.status_code == 200 and "小组会" in preview.text
    outside = organizer.post("/console/notices/new", data=_form(
        party, csrf, org_ids=[str(party.orgs["第二党支部"])]))
    assert outside.status_code == 422
    assert f"没有编号为 {party.orgs['第二党支部']} 的组织" in outside.text
    created = organizer.post("/console/notices/new", data=_form(party, csrf),
                             follow_redirects=False)
    assert created.status_code == 303
    notice = created.headers["location"].split("?")[0]
    sent = organizer.post(f"{notice}/send", data={"csrf": csrf, "confirm": "1"},
                          follow_redirects=False)
    assert sent.status_code == 303
    shown = organizer.get(notice)
    assert shown.status_code == 200 and "已发送" in shown.text
    assert "学习通知" in organizer.get("/console/notices").text
    # The admin sees the organizer's notice too.
    sign_in(client, ADMIN)
    assert "学习通知" in client.get("/console/notices").text
