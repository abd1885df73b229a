"""Console roles on roster entries, and signing in from WeChat with ``后台``.

An admin gives a bound roster entry a role over an org in the console; the
person sends ``后台`` in chat (signed callbacks), opens the one-time link,
presses the button and lands in a console session with that role and scope.
The link works once, for five minutes, and only its hash is stored; taking
the role away ends the session at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.auth.tokens import Role, create_token, hash_token
from app.db import Database
from app.main import create_app
from app.models import ConsoleSignInLink, Org
from bots import texts
from tests.app.conftest import make_settings
from tests.app.test_console import csrf_of, sign_in
from tests.support.factories import create_event
from tests.support.roster import roster_csv
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

ADMIN = "console-roles-admin-token-0123456789"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
PEOPLE = [("张三丰", "13800000001", "机关党委/第一党支部", "正式党员", "", "书记"),
          ("李四", "13800000002", "机关党委/第二党支部", "预备党员", "", ""),
          ("王五", "13800000003", "机关党委/第一党支部", "正式党员", "", "")]
LINK = re.compile(r"https?://[^\s<\]]+/console/login/link/[A-Za-z0-9_-]+")


@pytest.fixture
def client(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url, admin_token=ADMIN))) as test_client:
        answer = test_client.post("/api/admin/roster", headers=AUTH,
                                  files={"file": ("r.csv", roster_csv(PEOPLE))})
        assert answer.status_code == 201, answer.text
        yield test_client


def say(client: TestClient, text: str, openid: str) -> str:
    params, body = Platform().plain(message_xml("text", openid, content=text))
    response = client.post("/wechat", params=params, content=body)
    assert response.status_code == 200
    match = re.search(r"<Content><!\[CDATA\[(.*)\]\]></Content>", response.text, re.DOTALL)
    assert match, response.text
    return match.group(1)


def org_ids(database: Database) -> dict[str, int]:
    return run_unit(database, lambda session: {
        org.name: org.id for org in session.scalars(select(Org))})


def entry_id(client: TestClient, name: str) -> int:
    page = client.get("/console/roles", params={"q": name}).text
    found = re.search(r'name="entry_id" value="(\d+)"', page)
    assert found, page[:500]
    return int(found.group(1))


def grant(client: TestClient, name: str, role: str, org_id: int | str) -> None:
    page = client.get("/console/roles", params={"q": name}).text
    answer = client.post("/console/roles", follow_redirects=False, data={
        "csrf": csrf_of(page), "entry_id": entry_id(client, name), "role": role,
        "org_id": org_id})
    assert answer.status_code == 303, answer.text[:500]


def link_from_chat(client: TestClient, openid: str) -> str:
    reply = say(client, "后台", openid)
    found = LINK.search(reply)
    assert found, reply
    return urlsplit(found.group(0)).path


def press(client: TestClient, path: str) -> object:
    page = client.get(path)
    assert page.status_code == 200, page.text[:500]
    return client.post(path, data={"csrf": csrf_of(page.text)}, follow_redirects=False)


def test_a_branch_secretary_signs_in_from_wechat_with_the_role_and_scope_given(
        client: TestClient, database: Database) -> None:
    orgs = org_ids(database)
    now = datetime.now(UTC)

    def events(session: object) -> None:
        create_event(session, title="第一支部党员大会", org_id=orgs["第一党支部"],
                     starts_at=now + timedelta(days=2))
        create_event(session, title="第二支部党员大会", org_id=orgs["第二党支部"],
                     starts_at=now + timedelta(days=2))

    run_unit(database, events)
    assert "绑定成功" in say(client, "绑定 张三丰 13800000001", "o_secretary")
    sign_in(client, ADMIN)
    grant(client, "张三丰", "organizer", orgs["第一党支部"])
    roles_page = client.get("/console/roles").text
    assert "已为 张三丰 授予角色" not in roles_page  # the notice belongs to the redirect only
    holders = re.search(r'<table class="cards" id="holders">(.*?)</table>', roles_page, re.S)
    assert holders and "张三丰" in holders.group(1) and "机关党委/第一党支部" in holders.group(1)
    client.cookies.clear()

    reply = say(client, "后台", "o_secretary")
    assert "5 分钟内有效" in reply and "组织者（机关党委/第一党支部）" in reply
    path = urlsplit(LINK.search(reply).group(0)).path  # type: ignore[union-attr]
    # Opening the link spends nothing (a chat client's preview fetch is harmless) ...
    assert client.get(path).status_code == 200
    signed = press(client, path)
    assert signed.status_code == 303 and signed.headers["location"] == "/console"  # type: ignore[attr-defined]
    console = client.get("/console").text
    assert "张三丰（组织者）" in console
    assert "第一支部党员大会" in console and "第二支部党员大会" not in console
    # ... and the second use is refused with a sentence saying what to do.
    client.cookies.clear()
    again = client.get(path)
    assert again.status_code == 410 and "重新发送“后台”" in again.text
    assert "进入管理后台" not in again.text


def test_only_the_hash_is_stored_and_an_expired_link_is_refused(
        client: TestClient, database: Database) -> None:
    orgs = org_ids(database)
    say(client, "绑定 张三丰 13800000001", "o_secretary")
    sign_in(client, ADMIN)
    grant(client, "张三丰", "admin", orgs["机关党委"])
    client.cookies.clear()
    path = link_from_chat(client, "o_secretary")
    code = path.rsplit("/", 1)[1]
    stored = run_unit(database, lambda session: session.scalars(
        select(ConsoleSignInLink.code_hash)).all())
    assert stored == [hash_token(code)]

    page = client.get(path)
    run_unit(database, lambda session: session.execute(
        update(ConsoleSignInLink).values(expires_at=datetime.now(UTC) - timedelta(seconds=1))))
    late = client.post(path, data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert late.status_code == 410
    assert client.get("/console", follow_redirects=False).status_code == 303


def test_the_link_form_needs_its_nonce(client: TestClient, database: Database) -> None:
    orgs = org_ids(database)
    say(client, "绑定 张三丰 13800000001", "o_secretary")
    sign_in(client, ADMIN)
    grant(client, "张三丰", "organizer", orgs["第一党支部"])
    client.cookies.clear()
    path = link_from_chat(client, "o_secretary")
    forged = client.post(path, data={"csrf": "forged"}, follow_redirects=False)
    assert forged.status_code == 403 and "页面已过期" in forged.text
    # The refusal spent nothing: the person can still press the button.
    assert press(client, path).status_code == 303  # type: ignore[attr-defined]


def test_taking_the_role_away_ends_the_session_at_once(
        client: TestClient, database: Database) -> None:
    orgs = org_ids(database)
    say(client, "绑定 张三丰 13800000001", "o_secretary")
    sign_in(client, ADMIN)
    grant(client, "张三丰", "organizer", orgs["第一党支部"])
    admin_cookies = dict(client.cookies)
    client.cookies.clear()
    press(client, link_from_chat(client, "o_secretary"))
    secretary_cookies = dict(client.cookies)
    assert client.get("/console", follow_redirects=False).status_code == 200

    client.cookies.clear()
    client.cookies.update(admin_cookies)
    page = client.get("/console/roles").text
    role_id = re.search(r'action="/console/roles/(\d+)/revoke"', page)
    assert role_id
    revoked = client.post(f"/console/roles/{role_id.group(1)}/revoke",
                          data={"csrf": csrf_of(page)}, follow_redirects=False)
    assert revoked.status_code == 303
    assert "已撤销角色" in client.get(revoked.headers["location"]).text

    client.cookies.clear()
    client.cookies.update(secretary_cookies)
    assert client.get("/console", follow_redirects=False).headers["location"] == "/console/login"
    assert say(client, "后台", "o_secretary") == texts.CONSOLE_NO_ROLE


def test_members_without_a_role_get_no_link(client: TestClient) -> None:
    assert say(client, "后台", "o_stranger") == texts.CONSOLE_NOT_BOUND
    say(client, "绑定 王五 13800000003", "o_wang")
    assert say(client, "后台", "o_wang") == texts.CONSOLE_NO_ROLE


def test_a_scoped_admin_gives_roles_inside_its_scope_only(
        client: TestClient, database: Database) -> None:
    orgs = org_ids(database)
    token = run_unit(database, lambda session: create_token(
        session, Role.ADMIN, "一支部管理员", orgs["第一党支部"]))
    sign_in(client, token)
    page = client.get("/console/roles", params={"q": "1380000000"}).text
    assert "张三丰" in page and "王五" in page and "李四" not in page
    assert "全部组织</option>" not in page and "第二党支部</option>" not in page
    # An entry outside the scope is as good as missing, whatever the form says.
    sign_in(client, ADMIN)
    outsider = entry_id(client, "李四")
    sign_in(client, token)
    page = client.get("/console/roles").text
    refused = client.post("/console/roles", data={
        "csrf": csrf_of(page), "entry_id": outsider, "role": "organizer",
        "org_id": orgs["第一党支部"]})
    assert refused.status_code == 404 and "页面不存在" in refused.text
    wider = client.post("/console/roles", data={
        "csrf": csrf_of(page), "entry_id": entry_id(client, "王五"), "role": "admin",
        "org_id": orgs["机关党委"]})
    assert wider.status_code == 404
    unscoped = client.post("/console/roles", data={
        "csrf": csrf_of(page), "entry_id": entry_id(client, "王五"), "role": "admin",
        "org_id": ""})
    assert unscoped.status_code == 409 and "请选择角色管理的组织" in unscoped.text


def test_organizers_and_forged_forms_are_refused(client: TestClient, database: Database) -> None:
    organizer = run_unit(database, lambda session: create_token(
        session, Role.ORGANIZER, "组织者", None))
    sign_in(client, organizer)
    refused = client.get("/console/roles")
    assert refused.status_code == 403 and "只有管理员可以使用" in refused.text
    assert "/console/roles" not in client.get("/console").text  # not offered in the nav
    sign_in(client, ADMIN)
    forged = client.post("/console/roles", data={"csrf": "forged", "entry_id": "1",
                                                 "role": "admin", "org_id": ""})
    assert forged.status_code == 403
    bad = client.post("/console/roles", data={
        "csrf": csrf_of(client.get("/console/roles").text), "entry_id": "1",
        "role": "root", "org_id": ""})
    assert bad.status_code == 409 and "请选择角色" in bad.text
