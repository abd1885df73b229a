"""``课程`` grouped by 专题, and ``课程 专题名`` listing one series."""

from __future__ import annotations

from bots import NewsReply, texts
from tests.bots.fakes import Conversation
from tests.bots.test_quiz import text_of


def test_the_list_is_grouped_by_series_with_the_global_numbers() -> None:
    chat = Conversation()
    chat.lessons.add("党章第一讲", "党员之家")
    chat.lessons.add("张桂梅的故事", "榜样说")
    chat.lessons.add("无专题的一课")
    chat.lessons.add("党章第二讲", "党员之家")
    assert text_of(chat, "课程").splitlines() == [
        texts.LESSON_LIST_HEAD,
        "《党员之家》", "1. 党章第一讲", "4. 党章第二讲",
        "《榜样说》", "2. 张桂梅的故事",
        "其他课程", "3. 无专题的一课",
    ]
    opened = chat.send("课程 4").reply
    assert isinstance(opened, NewsReply) and opened.articles[0].title == "党章第二讲"


def test_without_any_series_the_list_stays_flat() -> None:
    chat = Conversation()
    chat.lessons.add("甲课")
    chat.lessons.add("乙课")
    assert text_of(chat, "课程").splitlines() == [texts.LESSON_LIST_HEAD, "1. 甲课", "2. 乙课"]


def test_one_series_by_name() -> None:
    chat = Conversation()
    chat.lessons.add("党章第一讲", "党员之家")
    chat.lessons.add("张桂梅的故事", "榜样说")
    assert text_of(chat, "课程 《榜样说》").splitlines() == [
        texts.lesson_series_head("榜样说"), "2. 张桂梅的故事"]
    assert text_of(chat, "课程 榜样说") == text_of(chat, "课程 《榜样说》")
    assert text_of(chat, "课程 没有这个专题") == texts.LESSON_NUMBER_INVALID
