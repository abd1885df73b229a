"""What the mini-program sees of lessons, quizzes and points; never an unanswered answer key."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field


class LessonItem(BaseModel):
    id: int
    number: int
    title: str
    summary: str
    cover_url: str | None
    tags: list[str]
    publish_date: date
    series_id: int | None = None
    series: str | None = Field(default=None, description="the 专题's name, without 《》")


class LessonSeriesGroup(BaseModel):
    """One 专题 and its published lessons; ``id`` and ``name`` are null for the lessons
    that belong to no series (listed last)."""

    id: int | None
    name: str | None
    description: str
    lessons: list[LessonItem]


class LessonDetail(LessonItem):
    body: str = Field(description="Markdown")
    body_html: str = Field(description="the body rendered, raw HTML escaped")
    link: str | None
    read: bool = Field(description="the member's reading is counted (POST …/read)")


class ReadingOut(BaseModel):
    lesson_id: int
    points_awarded: int = Field(description="points this reading earned (0 when read before)")


class QuestionOut(BaseModel):
    attempt_id: int
    position: int
    total: int
    type: str
    stem: str
    options: list[str] = Field(description="in this attempt's order; answer with A, B, …")
    contest: str = Field(default="", description="the contest's title, if any")


class AnswerIn(BaseModel):
    position: int = Field(ge=1, le=100)
    answer: str = Field(min_length=1, max_length=200)


class ScoreOut(BaseModel):
    attempt_id: int
    answered: int
    correct: int
    total: int
    points: int
    status: str


class VerdictOut(BaseModel):
    position: int
    correct: bool
    expected: str = Field(description="the right answer, in the letters shown")
    explanation: str
    points: int
    timed_out: bool = Field(description="a contest question answered after its time limit")
    next_question: QuestionOut | None
    score: ScoreOut | None


class WrongAnswerOut(BaseModel):
    stem: str
    options: list[str]
    expected: str
    given: str
    explanation: str
    answered_at: datetime


class PointsLineOut(BaseModel):
    at: datetime
    label: str
    delta: int


class PointsOut(BaseModel):
    total: int
    rank: int
    members: int
    recent: list[PointsLineOut]
