"""``答题``: a quiz in the chat, one question per reply; ``退出``; ``错题``.

The attempt (drawn questions, shuffled options, graded answers) lives behind
the :class:`~bots.ports.QuizPlay` port; the conversation only remembers which
attempt and question the member is on, so a restart or another worker carries
on where the member left off.
"""

from __future__ import annotations

import re
import unicodedata

from bots import texts
from bots.engine import Bot, Turn
from bots.messages import Reply, TextReply
from bots.ports import QuizQuestion, QuizScore

FLOW = "quiz"
START_WORDS = ("答题",)
QUIT_WORDS = frozenset({"退出", "结束", "结束答题", "退出答题"})
WRONG_WORDS = ("错题",)
WRONG_LISTED = 5

# While a quiz runs, these still do what they always do (the quiz waits) rather
# than being taken as an answer to a fill-in question.
_OTHER_KEYWORDS = frozenset({
    "帮助", "help", "?", "？", "学习", "微党课", "课程", "答题", "错题", "活动", "我的报名",
    "积分", "我的积分", "订阅", "退订", "取消订阅",
})
# A command counts only with a space or digit after it: "支部建在连上" is an answer.
_OTHER_COMMAND = re.compile(r"(课程|报名|取消报名|姓名|电话|支部)[\s\d]")


def _is_answer(text: str) -> bool:
    folded = unicodedata.normalize("NFKC", text).strip().lower()
    if folded in QUIT_WORDS:
        return True
    return folded not in _OTHER_KEYWORDS and _OTHER_COMMAND.match(folded) is None


def _ask(turn: Turn, question: QuizQuestion, before: str = "") -> Reply:
    turn.start_flow(FLOW, attempt=question.attempt_id, position=question.position)
    text = texts.quiz_question(question.position, question.total, question.type, question.stem,
                               question.options)
    if question.contest and question.position == 1:
        text = f"{texts.contest_banner(question.contest)}\n{text}"
    return TextReply(f"{before}\n\n{text}" if before else text)


def _finish(turn: Turn, score: QuizScore, before: str = "") -> Reply:
    turn.end_flow()
    text = texts.quiz_score(score.status, score.correct, score.answered, score.total,
                            score.points)
    return TextReply(f"{before}\n\n{text}" if before else text)


def start(turn: Turn) -> Reply:
    started = turn.services.quiz.start(turn.member.id, turn.now)
    if started == "no_bank":
        return TextReply(texts.QUIZ_NO_BANK)
    if started == "contest_used_up":
        return TextReply(texts.QUIZ_CONTEST_USED_UP)
    return _ask(turn, started)


def answer(turn: Turn) -> Reply:
    state = turn.conversation or {}
    attempt_id, position = int(state.get("attempt", 0)), int(state.get("position", 0))
    quiz = turn.services.quiz
    if unicodedata.normalize("NFKC", turn.argument).strip().lower() in QUIT_WORDS:
        score = quiz.quit(turn.member.id, attempt_id, turn.now)
        if score is None:
            turn.end_flow()
            return TextReply(texts.QUIZ_CLOSED)
        return _finish(turn, score)
    verdict = quiz.answer(turn.member.id, attempt_id, position, turn.argument, turn.now)
    if verdict is None:
        turn.end_flow()
        return TextReply(texts.QUIZ_CLOSED)
    if verdict.problem is not None:
        hint = texts.QUIZ_ANSWER_PROBLEMS.get(verdict.problem, "")
        if verdict.next_question is not None:
            return _ask(turn, verdict.next_question, hint)
        return TextReply(hint)
    graded = texts.quiz_verdict(verdict.correct, verdict.expected, verdict.explanation,
                                verdict.points, verdict.timed_out)
    if verdict.next_question is not None:
        return _ask(turn, verdict.next_question, graded)
    if verdict.score is not None:
        return _finish(turn, verdict.score, graded)
    turn.end_flow()
    return TextReply(graded)


def wrong_answers(turn: Turn) -> Reply:
    wrong = turn.services.quiz.wrong_answers(turn.member.id, WRONG_LISTED)
    if not wrong:
        return TextReply(texts.NO_WRONG_ANSWERS)
    parts = [texts.WRONG_ANSWERS_HEAD]
    parts += [texts.wrong_answer(n, w.stem, w.options, w.expected, w.given, w.explanation)
              for n, w in enumerate(wrong, start=1)]
    return TextReply("\n".join(parts))


def register(bot: Bot) -> None:
    bot.on_flow(FLOW, _is_answer, answer)
    bot.on_keyword(START_WORDS, start, menu_key="QUIZ_START")
    bot.on_keyword(WRONG_WORDS, wrong_answers)
