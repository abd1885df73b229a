from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, LargeBinary, String, Text, UniqueConstraint
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
    # The 专题 the lesson belongs to; a series deleted leaves its lessons without one.
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("lesson_series.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime]


class LessonSeries(Base):
    """A 专题 (series) such as 《党员之家》 or 《榜样说》 that groups lessons in lists."""

    __tablename__ = "lesson_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime]


class LessonCover(Base):
    """A lesson's uploaded cover image: its bytes here, or a file under ``HONGXIN_MEDIA_DIR``
    (``stored_name``), whichever the deployment chose when it was uploaded."""

    __tablename__ = "lesson_covers"

    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"),
                                           primary_key=True)
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes | None] = mapped_column(LargeBinary)
    stored_name: Mapped[str | None] = mapped_column(String(100))
    uploaded_at: Mapped[datetime]


class LessonScheduleDay(Base):
    """The lesson chosen for a day: ``学习`` and the daily push show it on that day,
    before the rotation rule is asked."""

    __tablename__ = "lesson_schedule"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"),
                                           index=True)


class LessonRead(Base):
    """A member read a lesson; unique per (member, lesson), so reading counts once."""

    __tablename__ = "lesson_reads"
    __table_args__ = (UniqueConstraint("member_id", "lesson_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"))
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"),
                                           index=True)
    read_at: Mapped[datetime]
