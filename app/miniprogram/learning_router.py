"""``/api/mp``: lessons, quizzes and points for the mini-program, over the chat's services."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from fastapi import APIRouter

from app.deps import EntityId, SessionDep, SettingsDep
from app.errors import Conflict, InvalidInput, errors_answered
from app.lessons import catalogue
from app.lessons import service as lessons
from app.lessons.render import markdown_to_html
from app.miniprogram.deps import CurrentMember
from app.miniprogram.learning_schemas import (
    AnswerIn,
    LessonDetail,
    LessonItem,
    LessonSeriesGroup,
    PointsLineOut,
    PointsOut,
    QuestionOut,
    ReadingOut,
    ScoreOut,
    VerdictOut,
    WrongAnswerOut,
)
from app.models.lesson import Lesson
from app.points.port import points_summary
from app.quiz_play import service as play
from bots import texts
from bots.ports import QuizQuestion, QuizScore

router = APIRouter(prefix="/api/mp", tags=["mini-program"])


def _item(lesson: Lesson, number: int, series: dict[int, str]) -> LessonItem:
    return LessonItem(id=lesson.id, number=number, title=lesson.title, summary=lesson.summary,
                      cover_url=lesson.cover_url, tags=lesson.tags,
                      publish_date=lesson.publish_date, series_id=lesson.series_id,
                      series=series.get(lesson.series_id) if lesson.series_id else None)


def _detail(reading: lessons.Reading, series: dict[int, str]) -> LessonDetail:
    lesson = reading.lesson
    return LessonDetail(**_item(lesson, reading.number, series).model_dump(), body=lesson.body,
                        body_html=markdown_to_html(lesson.body), link=lesson.link,
                        read=reading.read)


def _question(question: QuizQuestion) -> QuestionOut:
    return QuestionOut(**{**asdict(question), "options": list(question.options)})


def _score(score: QuizScore) -> ScoreOut:
    return ScoreOut(**asdict(score))


@router.get("/lessons", response_model=list[LessonItem])
def lesson_list(member: CurrentMember, session: SessionDep,
                settings: SettingsDep) -> list[LessonItem]:
    """Published lessons, numbered as in the chat's ``课程``."""
    del member
    today = datetime.now(settings.zone).date()
    series = catalogue.series_names(session)
    return [_item(lesson, number, series) for number, lesson
            in enumerate(lessons.published_lessons(session, today), start=1)]


@router.get("/lesson-series", response_model=list[LessonSeriesGroup])
def lessons_by_series(member: CurrentMember, session: SessionDep,
                      settings: SettingsDep) -> list[LessonSeriesGroup]:
    """Published lessons grouped by 专题 (lessons of no series last), numbered as in ``课程``."""
    del member
    today = datetime.now(settings.zone).date()
    return [_group(group) for group in catalogue.published_by_series(session, today)]


def _group(group: catalogue.SeriesGroup) -> LessonSeriesGroup:
    series = group.series
    names = {series.id: series.name} if series is not None else {}
    return LessonSeriesGroup(id=series.id if series else None,
                             name=series.name if series else None,
                             description=series.description if series else "",
                             lessons=[_item(lesson, number, names)
                                      for number, lesson in group.lessons])


@router.get("/lessons/today", response_model=LessonDetail, responses=errors_answered(404))
def lesson_today(member: CurrentMember, session: SessionDep,
                 settings: SettingsDep) -> LessonDetail:
    """Today's lesson (the chat's ``学习``); showing it counts nothing (see ``…/read``)."""
    return _detail(lessons.open_lesson(session, member.id, None, datetime.now(UTC),
                                       settings.zone), catalogue.series_names(session))


@router.get("/lessons/{lesson_id}", response_model=LessonDetail)
def lesson_detail(lesson_id: EntityId, member: CurrentMember, session: SessionDep,
                  settings: SettingsDep) -> LessonDetail:
    """One published lesson; fetching it counts nothing (see ``…/read``)."""
    return _detail(lessons.open_lesson(session, member.id, lesson_id, datetime.now(UTC),
                                       settings.zone), catalogue.series_names(session))


@router.post("/lessons/{lesson_id}/read", response_model=ReadingOut,
             responses=errors_answered(404))
def read_lesson(lesson_id: EntityId, member: CurrentMember, session: SessionDep,
                settings: SettingsDep) -> ReadingOut:
    """The member opened the lesson's page: count the reading once and award its point."""
    points = lessons.record_reading(session, member.id, lesson_id, datetime.now(UTC),
                                    settings.zone)
    return ReadingOut(lesson_id=lesson_id, points_awarded=points)


@router.post("/quiz/attempts", response_model=QuestionOut, status_code=201,
             responses=errors_answered(409))
def start_quiz(member: CurrentMember, session: SessionDep) -> QuestionOut:
    """Start a quiz (or resume the open one): the current question, without its answer."""
    started = play.start(session, member.id, datetime.now(UTC))
    if started == "no_bank":
        raise Conflict(texts.QUIZ_NO_BANK)
    if started == "contest_used_up":
        raise Conflict(texts.QUIZ_CONTEST_USED_UP)
    return _question(started)


@router.post("/quiz/attempts/{attempt_id}/answers", response_model=VerdictOut,
             responses=errors_answered(409, 429))
def answer_question(attempt_id: EntityId, body: AnswerIn, member: CurrentMember,
                    session: SessionDep, settings: SettingsDep) -> VerdictOut:
    """Answer question ``position`` once; repeating it returns the same grade."""
    verdict = play.answer_rate_limited(session, member.id, attempt_id, body.position,
                                       body.answer, datetime.now(UTC), settings.zone)
    if verdict is None:
        raise Conflict(texts.QUIZ_CLOSED)
    if verdict.problem is not None:
        message = texts.QUIZ_ANSWER_PROBLEMS.get(verdict.problem, "请回答当前题目。")
        field = "position" if verdict.problem == "not_current" else "answer"
        raise InvalidInput(message, errors=[{"field": field, "message": message}])
    return VerdictOut(
        position=verdict.position, correct=verdict.correct, expected=verdict.expected,
        explanation=verdict.explanation, points=verdict.points, timed_out=verdict.timed_out,
        next_question=_question(verdict.next_question) if verdict.next_question else None,
        score=_score(verdict.score) if verdict.score else None,
    )


@router.post("/quiz/attempts/{attempt_id}/quit", response_model=ScoreOut,
             responses=errors_answered(409))
def quit_quiz(attempt_id: EntityId, member: CurrentMember, session: SessionDep) -> ScoreOut:
    """End the attempt early, scoring what was answered."""
    score = play.quit_attempt(session, member.id, attempt_id, datetime.now(UTC))
    if score is None:
        raise Conflict(texts.QUIZ_CLOSED)
    return _score(score)


@router.get("/quiz/wrong-answers", response_model=list[WrongAnswerOut])
def wrong_answers(member: CurrentMember, session: SessionDep) -> list[WrongAnswerOut]:
    """The member's recent wrong answers with the right ones (the chat's ``错题``)."""
    return [WrongAnswerOut(**{**asdict(w), "options": list(w.options)})
            for w in play.wrong_answers(session, member.id, 20)]


@router.get("/points", response_model=PointsOut)
def my_points(member: CurrentMember, session: SessionDep, settings: SettingsDep) -> PointsOut:
    """Total, rank and the latest ledger lines (the chat's ``积分``)."""
    summary = points_summary(session, member.id, settings.zone)
    return PointsOut(total=summary.total, rank=summary.rank, members=summary.members,
                     recent=[PointsLineOut(at=line.at, label=line.label, delta=line.delta)
                             for line in summary.recent])
