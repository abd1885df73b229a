"""Every keyword the contract's chat table lists, and every one 帮助 lists, reaches a handler.

The contract (shared/CONTRACT.md, "Chat keywords") is mirrored in
:data:`CONTRACT_TURNS`; each is sent as a signed callback to the ASGI app, in
the context it needs (a quiz running, an event to sign up for …). The rule
that handled it is read from ``/metrics`` (``hongxin_callbacks_total`` by
handler): the fallback, an ignored event or a failure fails the test, so a
listed keyword can never again silently fall through to 「没有看懂这条消息」.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from app.db import Database
from app.lessons.service import create_lesson
from app.quiz_banks.service import activate_bank, import_bank
from app.wechat import codec
from bots import texts
from tests.support.factories import create_event
from tests.support.quizbanks import bank_csv
from tests.support.wechat import ACCOUNT, Platform, message_xml

OPENID = "o_keywords"
NOT_HANDLED = {"fallback", "event:ignored", "message:unknown_kind", "error", "deferred"}
_COUNTER = re.compile(r'^hongxin_callbacks_total\{([^}]*)\} ([0-9.e+]+)$', re.M)
_HANDLER = re.compile(r'handler="([^"]*)"')

# (what the member sends, the context it needs): the contract's chat table, row by row.
# "{event}" is an upcoming event's number. Events are ("event", Event, EventKey).
CONTRACT_TURNS: list[str | tuple[str, str, str]] = [
    "帮助", "help", "?", "？", ("event", "subscribe", ""),
    "学习", "微党课",
    "课程", "课程 1",
    "错题",  # before any quiz: "nothing wrong yet" is still an answer
    "答题", "A", "AC", "对", "错", "退出",  # answers while the quiz runs, then quit it
    "错题",
    "活动", "报名 {event}", "报名 {event}", "我的报名", "取消报名 {event}", "报名 {event}",
    "请假", "请假 {event} 出差在外",  # an activity, not a meeting: still a clear answer
    "积分",
    "订阅", "退订", "订阅",
    "姓名 张三", "电话 13800000000", "支部 第一党支部",
    "申报 周末参加社区志愿服务", "申报",  # Red points: a claim, and one with no text
    ("event", "CLICK", "LESSON_TODAY"), ("event", "CLICK", "QUIZ_START"), "退出",
    ("event", "CLICK", "EVENT_LIST"), ("event", "CLICK", "MY_POINTS"),
    ("event", "SCAN", "checkin_{event}"), ("event", "subscribe", "qrscene_checkin_{event}"),
    # Not in 帮助 (it is for role holders), but answered: here, who may ask for a link.
    "后台",
]


def event_xml(created: int, event: str, key: str) -> str:
    return (f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
            f"<FromUserName><![CDATA[{OPENID}]]></FromUserName><CreateTime>{created}"
            f"</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]>"
            f"</Event><EventKey><![CDATA[{key}]]></EventKey></xml>")


class Member:
    """One member talking to /wechat; each turn returns the rule that handled it and the reply."""

    def __init__(self, client: TestClient, platform: Platform, event_id: int) -> None:
        self.client, self.platform, self.event_id = client, platform, event_id
        self._clock = int(datetime.now(UTC).timestamp())

    def _handlers(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for labels, value in _COUNTER.findall(self.client.get("/metrics").text):
            handler = _HANDLER.search(labels)
            assert handler
            counts[handler.group(1)] += int(float(value))
        return counts

    def send(self, turn: str | tuple[str, str, str]) -> tuple[str, str]:
        before = self._handlers()
        if isinstance(turn, str):
            xml = message_xml("text", OPENID, content=turn.format(event=self.event_id))
        else:
            _, event, key = turn
            # Events are told apart by CreateTime: give each its own second.
            self._clock += 1
            xml = event_xml(self._clock, event, key.format(event=self.event_id))
        params, body = self.platform.plain(xml)
        response = self.client.post("/wechat", params=params, content=body)
        assert response.status_code == 200, response.text
        handled = self._handlers() - before
        assert sum(handled.values()) == 1, handled
        return next(iter(handled)), response.text


@pytest.fixture
def member(client: TestClient, platform: Platform, database: Database) -> Member:
    now = datetime.now(UTC)
    with database.unit_of_work() as session:
        create_lesson(session, title="今日一课", summary="摘要", body="正文",
                      publish_date=now.astimezone(ZoneInfo("Asia/Shanghai")).date(), now=now)
        bank = import_bank(session, bank_csv(12), "keywords.csv", now=now)
        activate_bank(session, bank.id, now)
        event_id = create_event(session, starts_at=now + timedelta(hours=1)).id
    return Member(client, platform, event_id)


def test_every_contract_keyword_reaches_its_handler(member: Member) -> None:
    for turn in CONTRACT_TURNS:
        handler, reply = member.send(turn)
        assert handler not in NOT_HANDLED, (turn, handler, reply[:300])
        assert texts.FALLBACK not in reply, (turn, reply[:300])


def help_keywords(help_text: str, event_id: int) -> list[str]:
    """Each keyword a 帮助 line offers (left of ——), "N" replaced by a real number."""
    keywords = []
    for line in help_text.splitlines():
        if "——" not in line:
            continue
        for offered in line.split("——")[0].split("/"):
            keywords.append(re.sub(r"\bN\b", str(event_id), offered.strip()))
    return keywords


def test_every_keyword_help_lists_is_handled(member: Member) -> None:
    _, reply = member.send("帮助")
    content = codec.parse_fields(reply)["Content"]
    assert isinstance(content, str)
    listed = help_keywords(content, member.event_id)
    assert {"学习", "订阅", "退订", f"报名 {member.event_id}"} <= set(listed), listed
    for keyword in listed:
        handler, answer = member.send(keyword)
        assert handler not in NOT_HANDLED, (keyword, handler, answer[:300])
