"""Lessons: the admin API and the public page ``/lessons/{id}`` that news replies link to."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from app.deps import CurrentAdmin, CurrentUnscopedAdmin, EntityId, SessionDep, SettingsDep
from app.lessons import service
from app.lessons.covers import cover_of
from app.lessons.links import ReadingLinks
from app.lessons.render import markdown_to_html
from app.lessons.schemas import LessonIn, LessonOut

admin_router = APIRouter(prefix="/api/admin/lessons", tags=["lessons"])
page_router = APIRouter(tags=["lessons"])

templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")


@admin_router.post("", response_model=LessonOut, status_code=201)
def create_lesson(body: LessonIn, _admin: CurrentUnscopedAdmin, session: SessionDep,
                  settings: SettingsDep) -> LessonOut:
    """Add a lesson; without ``publish_date`` it is published today."""
    now = datetime.now(UTC)
    lesson = service.create_lesson(
        session, title=body.title, summary=body.summary, body=body.body,
        publish_date=body.publish_date or now.astimezone(settings.zone).date(), now=now,
        link=str(body.link) if body.link else None,
        cover_url=str(body.cover_url) if body.cover_url else None, tags=body.tags,
    )
    return LessonOut.model_validate(lesson)


@admin_router.get("", response_model=list[LessonOut])
def list_lessons(_admin: CurrentAdmin, session: SessionDep,
                 limit: int = Query(100, ge=1, le=500),
                 offset: int = Query(0, ge=0, le=2**31)) -> list[LessonOut]:
    """Every lesson, scheduled ones included, newest publish date first."""
    lessons = service.list_lessons(session, limit=limit, offset=offset)
    return [LessonOut.model_validate(lesson) for lesson in lessons]


@page_router.get("/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(lesson_id: EntityId, request: Request, session: SessionDep,
                settings: SettingsDep,
                r: str | None = Query(None, max_length=500,
                                      description="the member's signed reading token")
                ) -> HTMLResponse:
    """The lesson as a mobile web page; a member's link counts the reading."""
    page = service.open_page(session, lesson_id, r, ReadingLinks.from_settings(settings),
                             datetime.now(UTC), settings.zone)
    return templates.TemplateResponse(
        request, "lessons/page.html",
        {"lesson": page.lesson, "body_html": markdown_to_html(page.lesson.body),
         "counted": page.counted, "points": page.points},
        headers={
            # A member's page must reach us each time (it counts the reading) and
            # must not sit in a shared cache; the token must not leak in a Referer.
            "Cache-Control": "private, no-store" if r else "public, max-age=300",
            "Referrer-Policy": "no-referrer",
            "Content-Security-Policy": "default-src 'none'; img-src https: http: data:; "
                                       "style-src 'unsafe-inline'",
        },
    )


@page_router.get("/lessons/{lesson_id}/cover", response_class=Response)
def lesson_cover(lesson_id: EntityId, session: SessionDep, settings: SettingsDep) -> Response:
    """The lesson's uploaded cover image (news cards and the mini-program link to it)."""
    cover = cover_of(session, lesson_id, settings.media_dir)
    # Each upload gets a new address (?v=…), so the image at one address never changes.
    return Response(cover.content, media_type=cover.content_type,
                    headers={"Cache-Control": "public, max-age=86400",
                             "X-Content-Type-Options": "nosniff"})
