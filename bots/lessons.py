"""``学习`` / ``微党课`` (today's lesson), ``课程`` (the list, grouped by 专题), ``课程 N`` and
``课程 专题名`` (one series' lessons).

A lesson comes as a news card whose link names the member; the reading (and
its point) is counted when the page behind it is opened.
"""

from __future__ import annotations

from bots import texts
from bots.engine import Bot, Handler, Turn
from bots.messages import Article, NewsReply, Reply, TextReply
from bots.ports import LessonCard

LESSON_WORDS = ("学习", "微党课")
LIST_WORDS = ("课程",)
# A chat reply stays readable up to about this many lines.
MAX_LISTED = 15
MAX_OFFERED = 3
# Single characters match too much; long messages are not looking for a title.
SEARCH_LENGTH = range(2, 21)


def _open(turn: Turn, lesson: LessonCard) -> Reply:
    # The reading counts when the member opens the page, not when it is offered.
    link = turn.services.lessons.reading_link(turn.member.id, lesson.id)
    return NewsReply((Article(title=lesson.title,
                              description=texts.lesson_description(lesson.summary),
                              url=link, image_url=lesson.cover_url),))


def todays_lesson(turn: Turn) -> Reply:
    lesson = turn.services.lessons.today(turn.now)
    if lesson is None:
        return TextReply(texts.NO_LESSON_YET)
    return _open(turn, lesson)


def _grouped(lessons: list[LessonCard]) -> list[str]:
    """Numbered lines under a heading per 专题, in the order the series first appear;
    lessons of no series last. Without any series, just the numbered lines."""
    groups: dict[str, list[LessonCard]] = {}
    for lesson in lessons:
        groups.setdefault(lesson.series, []).append(lesson)
    if list(groups) == [""]:
        return [f"{lesson.number}. {lesson.title}" for lesson in lessons]
    lines = []
    for series in sorted(groups, key=lambda name: name == ""):
        lines.append(texts.lesson_series_heading(series) if series
                     else texts.LESSONS_WITHOUT_SERIES)
        lines += [f"{lesson.number}. {lesson.title}" for lesson in groups[series]]
    return lines


def lesson_list(turn: Turn) -> Reply:
    lessons = turn.services.lessons.catalogue(turn.now)
    if not lessons:
        return TextReply(texts.NO_LESSONS)
    shown = lessons[-MAX_LISTED:]
    lines = [texts.LESSON_LIST_HEAD, *_grouped(shown)]
    if len(shown) < len(lessons):
        lines.append(texts.LESSON_LIST_MORE.format(shown=len(shown), count=len(lessons)))
    return TextReply("\n".join(lines))


def _series_list(turn: Turn, name: str) -> Reply | None:
    """``课程 党员之家`` (brackets optional): that 专题's lessons, or None for no such series."""
    wanted = name.strip("《》 ")
    lessons = [lesson for lesson in turn.services.lessons.catalogue(turn.now)
               if wanted and lesson.series == wanted]
    if not lessons:
        return None
    lines = [texts.lesson_series_head(wanted)]
    lines += [f"{lesson.number}. {lesson.title}" for lesson in lessons[-MAX_LISTED:]]
    return TextReply("\n".join(lines))


def open_lesson(turn: Turn) -> Reply:
    argument = turn.argument.strip()
    if not argument.isdecimal() or len(argument) > 6:
        return _series_list(turn, argument) or TextReply(texts.LESSON_NUMBER_INVALID)
    number = int(argument)
    lesson = turn.services.lessons.by_number(number, turn.now)
    if lesson is None:
        return TextReply(texts.lesson_not_found(number))
    return _open(turn, lesson)


def _offering_lessons(fallback: Handler) -> Handler:
    """Before the fallback hint, offer lessons whose title contains what the member typed."""

    def offer(turn: Turn) -> Reply:
        words = turn.text
        if turn.incoming.kind == "text" and len(words) in SEARCH_LENGTH:
            found = turn.services.lessons.search(words, turn.now, MAX_OFFERED)
            if found:
                lines = [texts.LESSONS_FOUND]
                lines += [f"课程 {lesson.number}：{lesson.title}" for lesson in found]
                return TextReply("\n".join(lines))
        return fallback(turn)

    return offer


def register(bot: Bot) -> None:
    bot.on_keyword(LESSON_WORDS, todays_lesson, menu_key="LESSON_TODAY")
    bot.on_keyword(LIST_WORDS, lesson_list)
    bot.on_command("课程", open_lesson)
    bot.fallback = _offering_lessons(bot.fallback)
