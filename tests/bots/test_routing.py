"""The engine's rule order and the keywords this package answers, without HTTP or storage."""

from __future__ import annotations

import pytest

from bots import Bot, Incoming, MemberView, Reply, TextReply, Turn, texts
from tests.bots.fakes import NOW, Conversation, fake_services


def reply_text(reply: Reply) -> str:
    assert isinstance(reply, TextReply), reply
    return reply.text


@pytest.mark.parametrize("word", ["帮助", "help", "HELP", "?", "？", "  帮助  ", "\u3000帮助"])
def test_help_words(word: str) -> None:
    outcome = Conversation().send(word)
    assert outcome.rule == "keyword:帮助"
    assert reply_text(outcome.reply) == texts.HELP


def test_help_lists_every_contract_keyword() -> None:
    for keyword in ["学习", "微党课", "课程", "答题", "错题", "活动", "报名", "取消报名",
                    "我的报名", "积分", "订阅", "退订", "姓名", "电话", "支部", "帮助"]:
        assert keyword in texts.HELP


def test_subscribe_welcomes_and_records() -> None:
    chat = Conversation()
    outcome = chat.event("subscribe")
    assert texts.WELCOME in reply_text(outcome.reply)
    assert texts.HELP in reply_text(outcome.reply)
    assert chat.profiles.subscribed == {7: True}


def test_unsubscribe_is_silent_and_recorded() -> None:
    chat = Conversation()
    assert chat.event("unsubscribe").reply is None
    assert chat.profiles.subscribed == {7: False}


@pytest.mark.parametrize("event", ["view", "location", "templatesendjobfinish", "unknown_x"])
def test_other_events_are_acknowledged_silently(event: str) -> None:
    outcome = Conversation().event(event)
    assert outcome.reply is None
    assert outcome.rule == "event:ignored"


@pytest.mark.parametrize("kind", ["image", "voice", "video", "shortvideo", "location", "link"])
def test_non_text_messages_get_the_hint(kind: str) -> None:
    assert reply_text(Conversation().other(kind).reply) == texts.FALLBACK


def test_unknown_text_gets_the_hint() -> None:
    outcome = Conversation().send("随便说点什么")
    assert outcome.rule == "fallback"
    assert "帮助" in reply_text(outcome.reply)


def test_menu_click_dispatches_as_its_keyword() -> None:
    bot = Bot(fallback=lambda turn: TextReply("fallback"))
    bot.on_keyword(("学习",), lambda turn: TextReply("lesson"), menu_key="LESSON_TODAY")
    services = fake_services()
    member = MemberView(id=1, openid="o")
    click = Incoming("o", "event", NOW, event="click", event_key="LESSON_TODAY")
    unknown = Incoming("o", "event", NOW, event="click", event_key="NOPE")
    assert bot.handle(click, member, services, NOW).reply == TextReply("lesson")
    assert bot.handle(unknown, member, services, NOW).reply is None


def test_running_flow_comes_before_commands_and_keywords() -> None:
    bot = Bot(fallback=lambda turn: TextReply("fallback"))
    bot.on_keyword(("A",), lambda turn: TextReply("keyword A"))
    bot.on_command("姓名", lambda turn: TextReply("command"))

    def answer(turn: Turn) -> Reply:
        turn.end_flow()
        return TextReply(f"answer {turn.argument}")

    bot.on_flow("quiz", lambda text: text in {"A", "B"}, answer)
    services = fake_services()
    in_quiz = MemberView(id=1, openid="o", conversation={"flow": "quiz"})
    idle = MemberView(id=1, openid="o")

    outcome = bot.handle(Incoming("o", "text", NOW, text="A"), in_quiz, services, NOW)
    assert outcome.reply == TextReply("answer A")
    assert outcome.conversation is None
    # Text the flow does not accept falls through to the usual rules.
    outcome = bot.handle(Incoming("o", "text", NOW, text="姓名 张三"), in_quiz, services, NOW)
    assert outcome.reply == TextReply("command")
    assert outcome.conversation == {"flow": "quiz"}
    assert bot.handle(Incoming("o", "text", NOW, text="A"), idle, services, NOW).reply == \
        TextReply("keyword A")


def test_commands_need_an_argument() -> None:
    assert Conversation().send("姓名").rule == "fallback"
    assert Conversation().send("姓名 张三").rule == "command:姓名"
    assert Conversation().send("姓名张三").rule == "command:姓名"


@pytest.mark.parametrize(("incoming", "reads"), [
    (Incoming("o1", "text", NOW, text="积分"), ("points",)),
    (Incoming("o1", "text", NOW, text="\u3000我的积分 "), ("points",)),
    (Incoming("o1", "event", NOW, event="click", event_key="MY_POINTS"), ("points",)),
    (Incoming("o1", "text", NOW, text="帮助"), ()),
    (Incoming("o1", "text", NOW, text="积分榜"), ()),
    (Incoming("o1", "event", NOW, event="subscribe"), ()),
    (Incoming("o1", "image", NOW), ()),
])
def test_a_keyword_declares_the_reads_its_answer_makes(incoming: Incoming,
                                                      reads: tuple[str, ...]) -> None:
    bot = Conversation().bot
    assert bot.reads_ahead(incoming) == reads
    # The keyword that declares the read is the one that answers the message.
    if reads:
        chat = Conversation()
        outcome = chat.send(incoming.text) if incoming.kind == "text" else chat.event(
            incoming.event, incoming.event_key)
        assert outcome.rule == "keyword:积分"
