from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field, HttpUrl


class LessonIn(BaseModel):
    title: str = Field(min_length=1, max_length=64)
    summary: str = Field(default="", max_length=200)
    body: str = Field(default="", max_length=100_000, description="Markdown; raw HTML is escaped")
    link: HttpUrl | None = None
    cover_url: HttpUrl | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    publish_date: date | None = Field(default=None, description="default: today")


class LessonOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    summary: str
    body: str
    link: str | None
    cover_url: str | None
    tags: list[str]
    publish_date: date
    created_at: datetime
