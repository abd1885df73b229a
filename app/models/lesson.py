from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Lesson(Base):
    """A micro-lesson (微党课): a five-minute read in Markdown.

    ``publish_date`` is the first day the lesson may be shown; the daily
    rotation (see :func:`app.lessons.service.todays_lesson`) only picks
    lessons published on or before the day asked about.
    """

    __tablename__ = "lessons"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(64))
    summary: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    cover_url: Mapped[str | None] = mapped_column(String(500))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    publish_date: Mapped[date] = mapped_column(Date, index=True)
    created_at: Mapped[datetime]


class LessonRead(Base):
    """A member read a lesson; unique per (member, lesson), so reading counts once."""

    __tablename__ = "lesson_reads"
    __table_args__ = (UniqueConstraint("member_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"),
                                           index=True)
    read_at: Mapped[datetime]
