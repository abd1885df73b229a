"""The chat quiz, lessons and points over in-memory fakes: text in, reply out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import quizzes
from bots import NewsReply, TextReply
from bots.ports import PointsLine
from tests.bots.fakes import Conversation


def text_of(conversation: Conversation, message: str) -> str:
    reply = conversation.send(message).reply
    assert isinstance(reply, TextReply), reply
    return reply.text


def right_letters(conversation: Conversation) -> str:
    """The answer to the question currently asked, in the letters the member sees."""
    state = conversation.member.conversation
    assert state is not None
    attempt = conversation.quiz.attempts[state["attempt"]]
    position: int = state["position"]
    question: quizzes.Question = attempt.questions[position - 1]
    if not question.options:
        return question.accepted_answers[-1]
    return attempt.shuffles[position - 1].to_presented(question.answer)


def test_a_whole_quiz_with_full_marks() -> None:
    chat = Conversation()
    first = text_of(chat, "答题")
    assert first.startswith("第 1/4 题（单选题）") and "\nA. " in first and "\nC. " in first
    replies = []
    for _ in range(4):
        replies.append(text_of(chat, right_letters(chat)))
    assert all(reply.startswith("回答正确") for reply in replies)
    assert "第 2/4 题（多选题）" in replies[0] and "解析：乙是对的" in replies[0]
    assert "得分：4/4" in replies[-1] and chat.member.conversation is None


def test_wrong_answer_shows_the_right_one_and_explanation() -> None:
    chat = Conversation()
    text_of(chat, "答题")
    right = right_letters(chat)
    wrong = next(letter for letter in "ABC" if letter != right)
    reply = text_of(chat, wrong)
    assert reply.startswith(f"回答错误。正确答案：{right}")
    assert "解析：乙是对的" in reply
    wrong_list = text_of(chat, "错题")
    assert "单选一" in wrong_list and "正确答案：B" in wrong_list


@pytest.mark.parametrize(("typed", "hint"), [("E", "没有这个选项"), ("你好", "请用选项字母作答"),
                                             ("AB", "只能选一个")])
def test_malformed_answers_are_asked_again_not_graded(typed: str, hint: str) -> None:
    chat = Conversation()
    text_of(chat, "答题")
    reply = text_of(chat, typed)
    assert hint in reply and "第 1/4 题" in reply
    assert chat.quiz.attempts[1].graded == {}


def test_quit_scores_what_was_answered_and_keywords_still_work() -> None:
    chat = Conversation()
    text_of(chat, "答题")
    text_of(chat, right_letters(chat))
    assert "可以发送以下关键词" in text_of(chat, "帮助")  # the quiz waits while help is shown
    assert text_of(chat, "答题").startswith("第 2/4 题")  # 答题 resumes
    reply = text_of(chat, "退出")
    assert "已退出答题" in reply and "得分：1/4" in reply
    assert chat.member.conversation is None
    assert "没有看懂" in text_of(chat, "A")  # no quiz any more


def test_menu_click_starts_a_quiz_and_no_bank_is_explained() -> None:
    chat = Conversation()
    chat.quiz.active = False
    reply = chat.event("click", "QUIZ_START").reply
    assert isinstance(reply, TextReply) and reply.text == "题库尚未启用，暂时无法答题。"
    chat.quiz.active = True
    reply = chat.event("click", "QUIZ_START").reply
    assert isinstance(reply, TextReply) and reply.text.startswith("第 1/4 题")


def test_fill_answer_that_looks_like_a_command_word_is_still_an_answer() -> None:
    chat = Conversation()
    chat.quiz.questions = (quizzes.Question(quizzes.QuestionType.FILL, "三湾改编把什么建在连上？",
                                            "支部建在连上|支部"),)
    text_of(chat, "答题")
    assert text_of(chat, "支部建在连上").startswith("回答正确")


def test_todays_lesson_is_a_news_reply_linking_to_the_members_page() -> None:
    chat = Conversation()
    assert text_of(chat, "学习") == "暂时还没有微党课，敬请期待。"
    lesson = chat.lessons.add("第一课")
    reply = chat.send("微党课").reply
    assert isinstance(reply, NewsReply)
    article = reply.articles[0]
    assert article.title == "第一课"
    # The link names the member: opening it, not this reply, counts the reading.
    assert article.url == chat.lessons.reading_link(chat.member.id, lesson.id)
    assert "打开即计入学习积分" in article.description
    again = chat.event("click", "LESSON_TODAY").reply
    assert isinstance(again, NewsReply) and again.articles[0].url == article.url


def test_lesson_list_and_number() -> None:
    chat = Conversation()
    for title in ("甲课", "乙课", "丙课"):
        chat.lessons.add(title)
    listing = text_of(chat, "课程")
    assert "1. 甲课" in listing and "3. 丙课" in listing
    opened = chat.send("课程 2").reply
    assert isinstance(opened, NewsReply) and opened.articles[0].title == "乙课"
    assert "没有第 9 课" in text_of(chat, "课程 9")
    assert "课程 N" in text_of(chat, "课程 两")


def test_points_summary() -> None:
    chat = Conversation()
    assert "还没有红色积分" in text_of(chat, "积分")
    chat.points.total, chat.points.rank, chat.points.members = 12, 2, 30
    chat.points.recent = (PointsLine(datetime(2026, 11, 22, 9, 5, tzinfo=UTC), "答对题目", 1),)
    reply = chat.event("click", "MY_POINTS").reply
    assert isinstance(reply, TextReply)
    assert "12 分" in reply.text and "第 2 名" in reply.text
    assert "11-22 09:05 答对题目 +1" in reply.text


def test_a_contest_question_carries_its_banner() -> None:
    from dataclasses import replace

    chat = Conversation()
    original = chat.quiz.start

    def contest_start(member_id: int, now: datetime) -> object:
        asked = original(member_id, now)
        return replace(asked, contest="党史知识竞赛") if not isinstance(asked, str) else asked

    chat.quiz.start = contest_start  # type: ignore[method-assign, assignment]
    assert text_of(chat, "答题").startswith("【知识竞赛】党史知识竞赛\n第 1/4 题")


def test_unknown_text_offers_matching_lessons_before_the_hint() -> None:
    chat = Conversation()
    chat.lessons.add("民主集中制的四个服从")
    chat.lessons.add("三会一课")
    assert "课程 1：民主集中制的四个服从" in text_of(chat, "四个服从")
    assert "没有看懂" in text_of(chat, "天气怎么样")
    assert "没有看懂" in text_of(chat, "课")  # one character matches too much
