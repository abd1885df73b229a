"""The fake platform's user tags and mass send, spoken to over real HTTP: the rules our
notices are tested against (name length and uniqueness, 100 tags an account, deleting a
tag, 50 openids a call, 20 tags a follower, clientmsgid, the account's quota and each
follower's 4 mass messages a month)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from app.fakewechat import FakeWeChatState
from app.fakewechat.app import create_fake_app
from tests.app.test_fakewechat import api, client, server, token

# The fake platform and a token for it, as the platform's own tests have them.
__all__ = ["client", "server", "token"]

CREATE, GET, DELETE = "/cgi-bin/tags/create", "/cgi-bin/tags/get", "/cgi-bin/tags/delete"
TAGGING, UNTAGGING = "/cgi-bin/tags/members/batchtagging", "/cgi-bin/tags/members/batchuntagging"
SENDALL = "/cgi-bin/message/mass/sendall"


def openids(count: int, start: int = 0) -> list[str]:
    return [f"oTag{number:024d}" for number in range(start, start + count)]


def mass(tag_id: int, content: str = "通知", clientmsgid: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"filter": {"is_to_all": False, "tag_id": tag_id},
                            "msgtype": "text", "text": {"content": content}}
    if clientmsgid is not None:
        body["clientmsgid"] = clientmsgid
    return body


def test_tags_are_named_uniquely_within_30_bytes(client: httpx.Client, token: str) -> None:
    created = api(client, CREATE, token, {"tag": {"name": "第一党支部·12"}})
    assert created["tag"]["name"] == "第一党支部·12" and created["tag"]["id"] >= 100
    assert api(client, CREATE, token, {"tag": {"name": "第一党支部·12"}})["errcode"] == 45157
    # Eleven Chinese characters are 33 bytes.
    assert api(client, CREATE, token, {"tag": {"name": "一" * 11}})["errcode"] == 45158
    assert api(client, CREATE, token, {"tag": {"name": "一" * 10}})["tag"]["id"] > \
        created["tag"]["id"]
    listed = api(client, GET, token)["tags"]
    assert [tag["name"] for tag in listed] == ["第一党支部·12", "一" * 10]
    assert api(client, CREATE, None, {"tag": {"name": "x"}})["errcode"] == 41001


def test_an_account_holds_at_most_100_tags(client: httpx.Client, token: str) -> None:
    made = [api(client, CREATE, token, {"tag": {"name": f"标签{number}"}})["tag"]["id"]
            for number in range(100)]
    assert api(client, CREATE, token, {"tag": {"name": "第101个"}})["errcode"] == 45056
    assert api(client, DELETE, token, {"tag": {"id": made[0]}})["errcode"] == 0
    again = api(client, CREATE, token, {"tag": {"name": "第101个"}})["tag"]["id"]
    # The platform never gives a deleted tag's id to a new one.
    assert again not in made and again > max(made)


def test_deleting_a_tag_takes_it_from_its_followers(client: httpx.Client, token: str) -> None:
    kept = api(client, CREATE, token, {"tag": {"name": "支部"}})["tag"]["id"]
    gone = api(client, CREATE, token, {"tag": {"name": "通知·1"}})["tag"]["id"]
    for tag_id in (kept, gone):
        api(client, TAGGING, token, {"openid_list": openids(2), "tagid": tag_id})
    assert api(client, DELETE, token, {"tag": {"id": gone}})["errcode"] == 0
    assert [(tag["name"], tag["openids"]) for tag in client.get("/_fake/tags").json()] == \
        [("支部", openids(2))]
    assert api(client, DELETE, token, {"tag": {"id": gone}})["errcode"] == 45159
    assert api(client, SENDALL, token, mass(gone))["errcode"] == 45159
    assert api(client, DELETE, token, {"tag": {"id": 2}})["errcode"] == 45058
    assert api(client, DELETE, token, {"tag": {}})["errcode"] == 47001
    assert api(client, DELETE, None, {"tag": {"id": kept}})["errcode"] == 41001
    # The name is free again.
    assert api(client, CREATE, token, {"tag": {"name": "通知·1"}})["tag"]["id"] > gone


def test_tagging_takes_up_to_50_openids_of_an_existing_tag(
        client: httpx.Client, token: str) -> None:
    tag_id = api(client, CREATE, token, {"tag": {"name": "支部"}})["tag"]["id"]
    assert api(client, TAGGING, token, {"openid_list": openids(51), "tagid": tag_id}
               )["errcode"] == 40032
    assert api(client, TAGGING, token, {"openid_list": [], "tagid": tag_id})["errcode"] == 40032
    assert api(client, TAGGING, token, {"openid_list": openids(2), "tagid": 99999}
               )["errcode"] == 45159
    assert api(client, TAGGING, token, {"openid_list": ["bad openid!"], "tagid": tag_id}
               )["errcode"] == 40003
    assert api(client, TAGGING, token, {"openid_list": openids(50), "tagid": tag_id}
               )["errcode"] == 0
    assert api(client, UNTAGGING, token, {"openid_list": openids(10), "tagid": tag_id}
               )["errcode"] == 0
    [held] = client.get("/_fake/tags").json()
    assert held["openids"] == openids(40, start=10)
    assert api(client, GET, token)["tags"][0]["count"] == 40


def test_a_follower_holds_at_most_20_tags(client: httpx.Client, token: str) -> None:
    [member] = openids(1)
    for number in range(20):
        tag_id = api(client, CREATE, token, {"tag": {"name": f"t{number}"}})["tag"]["id"]
        assert api(client, TAGGING, token, {"openid_list": [member], "tagid": tag_id}
                   )["errcode"] == 0
    last = api(client, CREATE, token, {"tag": {"name": "t20"}})["tag"]["id"]
    assert api(client, TAGGING, token, {"openid_list": [member], "tagid": last}
               )["errcode"] == 45059
    # Tagging again with a tag already held is no new tag.
    assert api(client, TAGGING, token, {"openid_list": [member], "tagid": tag_id}
               )["errcode"] == 0


def test_mass_send_to_a_tag_once_per_clientmsgid(client: httpx.Client, token: str) -> None:
    tag_id = api(client, CREATE, token, {"tag": {"name": "支部"}})["tag"]["id"]
    api(client, TAGGING, token, {"openid_list": openids(3), "tagid": tag_id})
    client.post("/_fake/members", json={"openid": openids(1)[0], "subscribed": False})
    sent = api(client, SENDALL, token, mass(tag_id, clientmsgid="n-1"))
    assert sent["errcode"] == 0 and isinstance(sent["msg_id"], int)
    assert api(client, SENDALL, token, mass(tag_id, clientmsgid="n-1"))["errcode"] == 45065
    [recorded] = client.get("/_fake/mass").json()
    # The one who unfollowed gets nothing.
    assert recorded["delivered"] == openids(2, start=1) and recorded["msg_id"] == sent["msg_id"]
    assert api(client, SENDALL, token, mass(99999))["errcode"] == 45159
    assert api(client, SENDALL, token, {"filter": {"is_to_all": True}, "msgtype": "text",
                                        "text": {"content": "x"}})["errcode"] == 40097
    assert api(client, SENDALL, token, mass(tag_id, content=""))["errcode"] == 44002
    client.post("/_fake/mass-quota", json={"left": 0}).raise_for_status()
    assert api(client, SENDALL, token, mass(tag_id))["errcode"] == 45028


def test_a_follower_receives_four_mass_messages_a_month() -> None:
    clock = [time.mktime((2026, 12, 20, 12, 0, 0, 0, 0, 0))]
    # A token that outlives the month: only the mass messages count here.
    state = FakeWeChatState(clock=lambda: clock[0], token_ttl=90 * 24 * 3600)
    transport = httpx.ASGITransport(app=create_fake_app(state))

    async def run() -> list[list[str]]:
        async with httpx.AsyncClient(transport=transport, base_url="http://fake") as http:
            answer = await http.post("/cgi-bin/stable_token", json={
                "grant_type": "client_credential", "appid": next(iter(state.apps)),
                "secret": next(iter(state.apps.values()))})
            params = {"access_token": answer.json()["access_token"]}
            tag = await http.post(CREATE, params=params, json={"tag": {"name": "支部"}})
            tag_id = tag.json()["tag"]["id"]
            await http.post(TAGGING, params=params,
                            json={"openid_list": openids(1), "tagid": tag_id})
            for day in range(5):
                await http.post(SENDALL, params=params, json=mass(tag_id))
                clock[0] += 3600 * (1 if day < 4 else 24 * 12)  # the last: next month
            await http.post(SENDALL, params=params, json=mass(tag_id))
        return [sent["delivered"] for sent in state.mass_sends]

    delivered = asyncio.run(run())
    assert delivered == [openids(1)] * 4 + [[]] + [openids(1)]
    assert state.mass_sends[4]["dropped"] == openids(1)
