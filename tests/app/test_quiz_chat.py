"""A whole quiz, lessons and points through /wechat, as the platform would send them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db import Database
from app.lessons.service import create_lesson
from app.main import create_app
from app.models import LessonRead, Member, PointsEntry, QuizAnswer, QuizAttempt
from app.points.service import total
from app.quiz_banks.service import activate_bank, import_bank
from app.quiz_play import service as play
from app.wechat import codec
from tests.app.conftest import make_settings
from tests.support.factories import create_member
from tests.support.quizbanks import bank_csv, right_answer
from tests.support.units import run_unit
from tests.support.wechat import Platform, message_xml

OPENID = "o_quiz_member"
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def bank(database: Database) -> int:
    with database.unit_of_work() as session:
        stored = import_bank(session, bank_csv(12), "chat.csv", now=datetime.now(UTC))
        activate_bank(session, stored.id, datetime.now(UTC))
        return stored.id


@pytest.fixture
def chat(database_url: str) -> Iterator[TestClient]:
    with TestClient(create_app(make_settings(database_url))) as client:
        yield client


class Member_:
    """One member talking to /wechat."""

    def __init__(self, client: TestClient, platform: Platform, openid: str = OPENID) -> None:
        self.client, self.platform, self.openid = client, platform, openid

    def raw(self, text: str, msg_id: int | None = None) -> str:
        params, body = self.platform.plain(message_xml("text", self.openid, content=text,
                                                       msg_id=msg_id))
        response = self.client.post("/wechat", params=params, content=body)
        assert response.status_code == 200
        reply: str = response.text
        return reply

    def say(self, text: str, msg_id: int | None = None) -> str:
        content = codec.parse_fields(self.raw(text, msg_id))["Content"]
        assert isinstance(content, str)
        return content


def test_whole_quiz_through_wechat_with_points(
    chat: TestClient, platform: Platform, database: Database, bank: int
) -> None:
    member = Member_(chat, platform)
    question = member.say("答题")
    assert question.startswith("第 1/5 题")
    for number in range(1, 6):
        reply = member.say(right_answer(database, OPENID))
        assert reply.startswith("回答正确！正确答案：")
        if number < 5:
            assert f"第 {number + 1}/5 题" in reply
    assert "得分：5/5" in reply
    with database.unit_of_work() as session:
        member_id = session.scalars(select(Member.id).where(Member.openid == OPENID)).one()
        assert total(session, member_id) == 5 + 5  # five right answers and full marks
    points = member.say("积分")
    assert "10 分" in points and "第 1 名" in points and "答题满分 +5" in points


def test_retries_during_a_quiz_grade_once(
    chat: TestClient, platform: Platform, database: Database, bank: int
) -> None:
    member = Member_(chat, platform)
    member.say("答题")
    answer = right_answer(database, OPENID)
    first = member.say(answer, msg_id=424242)
    # WeChat retries with the same MsgId (and a new nonce) when the reply is slow.
    assert member.say(answer, msg_id=424242) == first
    assert member.say(answer, msg_id=424242) == first
    with database.unit_of_work() as session:
        attempt = session.scalars(select(QuizAttempt)).one()
        assert attempt.answered == 1 and attempt.correct == 1
        assert session.scalar(select(func.count()).select_from(QuizAnswer)) == 1
        assert session.scalar(select(func.count()).select_from(PointsEntry)) == 1


def test_quiz_survives_a_restart_and_quit_scores(
    database_url: str, platform: Platform, database: Database, bank: int
) -> None:
    with TestClient(create_app(make_settings(database_url))) as first:
        member = Member_(first, platform)
        member.say("答题")
        member.say("错")  # a choice question answered with 对/错 is asked again
        wrong = "对" if right_answer(database, OPENID) != "对" else "A"
        member.say(wrong)
    with TestClient(create_app(make_settings(database_url))) as second:
        member = Member_(second, platform)
        reply = member.say("退出")
        assert "已退出答题" in reply and "得分：" in reply
        assert "没有看懂" in member.say("A")
        wrong_list = member.say("错题")
        assert wrong_list.startswith("最近答错的题目") or "没有答错" in wrong_list


def test_wrong_answer_is_listed_with_the_right_one(
    chat: TestClient, platform: Platform, database: Database, bank: int
) -> None:
    member = Member_(chat, platform)
    member.say("答题")
    right = right_answer(database, OPENID)
    options = re.findall(r"^([A-F])\. ", member.say("答题"), re.M)
    if options:
        wrong = next(letter for letter in options if letter not in right)
    else:
        wrong = {"对": "错", "错": "对"}.get(right, "不知道")
    reply = member.say(wrong)
    assert reply.startswith(f"回答错误。正确答案：{right}")
    listing = member.say("错题")
    assert listing.startswith("最近答错的题目") and "正确答案：" in listing


def test_idle_attempt_expires(database: Database, bank: int) -> None:
    start = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        member = create_member(session)
        asked = play.start(session, member.id, start)
        assert not isinstance(asked, str)
        later = start + play.IDLE_TIMEOUT + timedelta(seconds=1)
        assert play.answer(session, member.id, asked.attempt_id, 1, "A", later, SHANGHAI) is None
        attempt = session.get(QuizAttempt, asked.attempt_id)
        assert attempt is not None and attempt.status == "expired"
        again = play.start(session, member.id, later)
        assert not isinstance(again, str) and again.attempt_id != asked.attempt_id


def test_answer_is_graded_once_per_attempt_and_question(database: Database, bank: int) -> None:
    now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        member = create_member(session)
        asked = play.start(session, member.id, now)
        assert not isinstance(asked, str)
        first = play.answer(session, member.id, asked.attempt_id, 1, "对", now, SHANGHAI)
        if first is not None and first.problem:
            first = play.answer(session, member.id, asked.attempt_id, 1, "A", now, SHANGHAI)
        assert first is not None and first.problem is None
        # The same position again (a double tap in the mini-program), even with another answer.
        again = play.answer(session, member.id, asked.attempt_id, 1, "B", now, SHANGHAI)
        assert again is not None and (again.correct, again.expected) == (first.correct,
                                                                         first.expected)
        attempt = session.get(QuizAttempt, asked.attempt_id)
        assert attempt is not None and attempt.answered == 1
        # Skipping ahead is refused and the current question is asked again.
        ahead = play.answer(session, member.id, asked.attempt_id, 3, "A", now, SHANGHAI)
        assert ahead is not None and ahead.problem == "not_current"
        assert ahead.next_question is not None and ahead.next_question.position == 2


def test_no_active_bank(chat: TestClient, platform: Platform) -> None:
    assert Member_(chat, platform).say("答题") == "题库尚未启用，暂时无法答题。"


def news_url(news: str) -> str:
    found = re.search(r"<Url><!\[CDATA\[(.*?)\]\]></Url>", news)
    assert found, news[:300]
    return found.group(1)


def reads_and_points(database: Database, openid: str = OPENID) -> tuple[int, int]:
    with database.unit_of_work() as session:
        member_id = session.scalars(select(Member.id).where(Member.openid == openid)).one()
        reads = session.scalar(select(func.count()).select_from(LessonRead)
                               .where(LessonRead.member_id == member_id)) or 0
        return reads, total(session, member_id)


def test_lesson_counts_once_when_its_page_is_opened_not_when_offered(
    chat: TestClient, platform: Platform, database: Database
) -> None:
    today = datetime.now(SHANGHAI).date()
    with database.unit_of_work() as session:
        lesson = create_lesson(session, title="今日一课", summary="摘要", body="正文",
                               publish_date=today, now=datetime.now(UTC))
        create_lesson(session, title="明日一课", summary="", body="",
                      publish_date=today + timedelta(days=1), now=datetime.now(UTC))
        lesson_id = lesson.id
    member = Member_(chat, platform)
    news = member.raw("学习")
    assert "<MsgType><![CDATA[news]]></MsgType>" in news and "今日一课" in news
    link = urlsplit(news_url(news))
    assert link.path == f"/lessons/{lesson_id}" and OPENID not in link.query
    member.raw("微党课")
    assert "1. 今日一课" in member.say("课程") and "明日一课" not in member.say("课程")
    # The same member's link to the same page (the token's timestamp may differ).
    numbered = urlsplit(news_url(member.raw("课程 1")))
    assert numbered.path == link.path and numbered.query.startswith("r=")
    assert reads_and_points(database) == (0, 0)  # offered three times, opened never

    # Someone else's or a forged link shows the lesson and counts for nobody.
    forged = chat.get(f"/lessons/{lesson_id}", params={"r": link.query[2:-3] + "xyz"})
    assert forged.status_code == 200 and "今日一课" in forged.text
    assert "已记录本次学习" not in forged.text
    assert reads_and_points(database) == (0, 0)

    page = chat.get(f"{link.path}?{link.query}")
    assert page.status_code == 200 and "正文" in page.text
    assert "已记录本次学习，获得 1 积分" in page.text
    assert page.headers["cache-control"] == "private, no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    again = chat.get(f"{link.path}?{link.query}")
    assert "已记录本次学习。" in again.text  # counted before: no second point
    assert reads_and_points(database) == (1, 1)


def test_a_members_link_counts_only_for_its_own_lesson(
    chat: TestClient, platform: Platform, database: Database
) -> None:
    with database.unit_of_work() as session:
        first, second = (create_lesson(session, title=title, summary="", body="",
                                       publish_date=date(2026, 1, day), now=datetime.now(UTC)).id
                         for day, title in ((1, "第一课"), (2, "第二课")))
    member = Member_(chat, platform)
    link = urlsplit(news_url(member.raw("课程 1")))
    assert link.path == f"/lessons/{first}"
    chat.get(f"/lessons/{second}?{link.query}")
    assert reads_and_points(database) == (0, 0)
    chat.get(f"/lessons/{first}?{link.query}")
    assert reads_and_points(database) == (1, 1)


def test_rotation_rule(database: Database) -> None:
    from app.lessons.service import todays_lesson

    with database.unit_of_work() as session:
        ids = [create_lesson(session, title=f"课{n}", summary="", body="",
                             publish_date=date(2026, 1, n), now=datetime.now(UTC)).id
               for n in range(1, 4)]
        day = date(2026, 11, 22)
        assert todays_lesson(session, day) is not None
        picked = [todays_lesson(session, day + timedelta(days=k)) for k in range(3)]
        assert sorted(lesson.id for lesson in picked if lesson) == ids  # one a day, in turn
        fresh = create_lesson(session, title="新课", summary="", body="", publish_date=day,
                              now=datetime.now(UTC))
        assert todays_lesson(session, day) == fresh
        assert todays_lesson(session, date(2025, 1, 1)) is None


def test_fallback_offers_lessons_by_title(
    chat: TestClient, platform: Platform, database: Database
) -> None:
    with database.unit_of_work() as session:
        for title in ("民主集中制的四个服从", "100%的投入"):
            create_lesson(session, title=title, summary="", body="",
                          publish_date=date(2026, 1, 1), now=datetime.now(UTC))
    member = Member_(chat, platform)
    assert "课程 1：民主集中制的四个服从" in member.say("四个服从")
    assert "课程 2：100%的投入" in member.say("0%的")
    assert "没有看懂" in member.say("_%")


def test_concurrent_duplicate_answers_are_graded_once(database: Database, bank: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    now = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    with database.unit_of_work() as session:
        member = create_member(session)
        member_id, openid = member.id, member.openid
    for _ in range(3):
        with database.unit_of_work() as session:
            asked = play.start(session, member_id, now)
        assert not isinstance(asked, str)
        right = right_answer(database, openid)

        def send(attempt_id: int = asked.attempt_id, text: str = right) -> bool:
            def work(session: Session) -> bool:
                verdict = play.answer(session, member_id, attempt_id, 1, text, now, SHANGHAI)
                return verdict is not None and verdict.correct

            return run_unit(database, work)

        with ThreadPoolExecutor(max_workers=4) as pool:
            verdicts = list(pool.map(lambda _: send(), range(4)))
        assert verdicts == [True] * 4
        with database.unit_of_work() as session:
            attempt = session.get(QuizAttempt, asked.attempt_id)
            assert attempt is not None and (attempt.answered, attempt.correct) == (1, 1)
            lines = session.scalar(select(func.count()).select_from(PointsEntry).where(
                PointsEntry.reference == f"quiz:{asked.attempt_id}:1"))
            assert lines == 1
            play.quit_attempt(session, member_id, asked.attempt_id, now)
