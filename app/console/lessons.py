"""Lessons in the console: write in Markdown with a live preview, a cover image, 专题 (series)
and the daily schedule. Admin only, as the lessons API is."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from app.console.content import page, require_admin, require_unscoped_admin
from app.console.session import CheckedForm, ConsoleUser, ConsoleUserDep
from app.deps import EntityId, SessionDep, SettingsDep
from app.errors import InvalidInput
from app.lessons import catalogue, covers
from app.lessons.catalogue import LessonFields
from app.lessons.render import markdown_to_html
from app.lessons.service import get_lesson
from app.settings import Settings

router = APIRouter(prefix="/console/lessons", tags=["console"])

WHAT = "编辑课程"
SCHEDULE_DAYS = 14
TITLE_MAX, SUMMARY_MAX, BODY_MAX = 64, 200, 100_000
TAG_MAX, TAGS_MAX = 20, 20
_TAG_SEPARATORS = re.compile(r"[,，;；、\s]+")


# ------------------------------------------------------------------ the form

@dataclass(slots=True)
class LessonForm:
    """What the lesson form shows: the values as typed (nothing is lost on an error)."""

    title: str = ""
    summary: str = ""
    body: str = ""
    publish_date: str = ""
    series_id: str = ""
    tags: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def posted(cls, form: dict[str, str]) -> LessonForm:
        return cls(title=form.get("title", ""), summary=form.get("summary", ""),
                   body=form.get("body", ""), publish_date=form.get("publish_date", ""),
                   series_id=form.get("series_id", ""), tags=form.get("tags", ""))

    def parsed(self) -> LessonFields | None:
        """The fields when they are all valid; otherwise None, with :attr:`errors` filled."""
        errors = self.errors
        errors.clear()
        title = self.title.strip()
        if not title:
            errors["title"] = "请填写标题。"
        elif len(title) > TITLE_MAX:
            errors["title"] = f"标题最多 {TITLE_MAX} 个字。"
        if len(self.summary.strip()) > SUMMARY_MAX:
            errors["summary"] = f"摘要最多 {SUMMARY_MAX} 个字。"
        if len(self.body) > BODY_MAX:
            errors["body"] = f"正文最多 {BODY_MAX} 个字。"
        try:
            publish_date = date.fromisoformat(self.publish_date.strip())
        except ValueError:
            errors["publish_date"] = "请按 年-月-日 填写发布日期，例如 2026-12-20。"
        series_id = int(self.series_id) if self.series_id.isdecimal() else None
        if self.series_id and series_id is None:
            errors["series_id"] = "请从列表中选择专题。"
        tags = [tag for tag in _TAG_SEPARATORS.split(self.tags) if tag]
        if len(tags) > TAGS_MAX or any(len(tag) > TAG_MAX for tag in tags):
            errors["tags"] = f"最多 {TAGS_MAX} 个标签，每个最多 {TAG_MAX} 个字。"
        if errors:
            return None
        return LessonFields(title=title, summary=self.summary.strip(), body=self.body,
                            publish_date=publish_date, series_id=series_id,
                            tags=list(dict.fromkeys(tags)))


def _form_context(session: Session, user: ConsoleUser, lesson_id: int | None,
                  form: LessonForm, **extra: Any) -> dict[str, Any]:
    lesson = get_lesson(session, lesson_id) if lesson_id is not None else None
    return {"user": user, "lesson": lesson, "form": form,
            "series": catalogue.series_list(session), "preview": None, "saved": False,
            "cover_error": None, **extra}


def new_lesson_context(session: Session, user: ConsoleUser, today: date) -> dict[str, Any]:
    require_unscoped_admin(user, WHAT)
    return _form_context(session, user, None, LessonForm(publish_date=today.isoformat()))


def edit_context(session: Session, user: ConsoleUser, lesson_id: int, saved: bool
                 ) -> dict[str, Any]:
    require_admin(user, WHAT)
    lesson = get_lesson(session, lesson_id)
    form = LessonForm(title=lesson.title, summary=lesson.summary, body=lesson.body,
                      publish_date=lesson.publish_date.isoformat(),
                      series_id=str(lesson.series_id or ""), tags="，".join(lesson.tags))
    return _form_context(session, user, lesson_id, form, saved=saved,
                         preview=markdown_to_html(lesson.body))


@dataclass(frozen=True, slots=True)
class Posted:
    """A posted lesson form: where to go when it was saved, or the page to show again."""

    redirect: str | None = None
    context: dict[str, Any] | None = None


def post_lesson(session: Session, user: ConsoleUser, lesson_id: int | None,
                form: dict[str, str]) -> Posted:
    """Save the form (or only preview it, when the 预览 button sent it)."""
    require_unscoped_admin(user, WHAT)
    lesson_form = LessonForm.posted(form)
    fields = lesson_form.parsed()
    if form.get("action") == "preview" or fields is None:
        return Posted(context=_form_context(session, user, lesson_id, lesson_form,
                                            preview=markdown_to_html(lesson_form.body)))
    try:
        lesson = catalogue.save_lesson(session, lesson_id, fields, datetime.now(UTC))
    except InvalidInput as refused:
        lesson_form.errors.update({e["field"]: e["message"] for e in refused.errors or []})
        return Posted(context=_form_context(session, user, lesson_id, lesson_form))
    return Posted(redirect=f"/console/lessons/{lesson.id}?saved=1")


def _answer(request: Request, posted: Posted, template: str) -> Response:
    if posted.redirect is not None:
        return RedirectResponse(posted.redirect, status_code=303)
    context = posted.context or {}
    failed = bool(context.get("form") and context["form"].errors) or bool(
        context.get("cover_error") or context.get("error"))
    return page(request, template, context, 422 if failed else 200)


# ------------------------------------------------------------------ cover, series, schedule

async def uploaded_cover(request: Request, _form: CheckedForm) -> bytes:
    """The file of the cover form, once its CSRF token matched (the form is parsed once)."""
    upload = (await request.form()).get("cover")
    return await upload.read() if isinstance(upload, UploadFile) else b""


def upload_cover(session: Session, user: ConsoleUser, settings: Settings, lesson_id: int,
                 content: bytes) -> Posted:
    require_unscoped_admin(user, WHAT)
    try:
        covers.store_cover(session, lesson_id, content, public_url=settings.public_url,
                           media_dir=settings.media_dir, max_bytes=settings.max_upload_bytes,
                           now=datetime.now(UTC))
    except InvalidInput as refused:
        context = edit_context(session, user, lesson_id, saved=False)
        return Posted(context={**context, "cover_error": refused.message})
    return Posted(redirect=f"/console/lessons/{lesson_id}?saved=1#cover")


def lessons_context(session: Session, user: ConsoleUser, series_id: int | None
                    ) -> dict[str, Any]:
    require_admin(user, WHAT)
    return {"user": user, "lessons": catalogue.lessons_in_order(session, series_id),
            "series": catalogue.series_names(session), "series_id": series_id}


def series_context(session: Session, user: ConsoleUser, **extra: Any) -> dict[str, Any]:
    require_admin(user, WHAT)
    counts: dict[int, int] = {}
    for lesson in catalogue.lessons_in_order(session):
        if lesson.series_id is not None:
            counts[lesson.series_id] = counts.get(lesson.series_id, 0) + 1
    return {"user": user, "series": catalogue.series_list(session), "counts": counts,
            "error": None, "name": "", "description": "", **extra}


def add_series(session: Session, user: ConsoleUser, form: dict[str, str]) -> Posted:
    require_unscoped_admin(user, WHAT)
    name, description = form.get("name", ""), form.get("description", "")
    try:
        catalogue.create_series(session, name, description, datetime.now(UTC))
    except InvalidInput as refused:
        return Posted(context=series_context(session, user, error=refused.message, name=name,
                                             description=description))
    return Posted(redirect="/console/lessons/series")


def remove_series(session: Session, user: ConsoleUser, series_id: int) -> None:
    require_unscoped_admin(user, WHAT)
    catalogue.delete_series(session, series_id)


def schedule_context(session: Session, user: ConsoleUser, first: date, **extra: Any
                     ) -> dict[str, Any]:
    require_admin(user, WHAT)
    return {"user": user, "plan": catalogue.lesson_plan(session, first, SCHEDULE_DAYS),
            "lessons": catalogue.lessons_in_order(session), "first": first,
            "earlier": first - timedelta(days=SCHEDULE_DAYS),
            "later": first + timedelta(days=SCHEDULE_DAYS), "error": None, **extra}


def choose_for_day(session: Session, user: ConsoleUser, form: dict[str, str], today: date
                   ) -> Posted:
    require_unscoped_admin(user, WHAT)
    try:
        day = date.fromisoformat(form.get("day", ""))
    except ValueError:
        return Posted(context=schedule_context(session, user, today,
                                               error="日期有误，请刷新页面后重试。"))
    chosen = form.get("lesson_id", "")
    lesson_id = int(chosen) if chosen.isdecimal() else None
    try:
        catalogue.schedule(session, day, lesson_id)
    except InvalidInput as refused:
        return Posted(context=schedule_context(session, user, day, error=refused.message))
    return Posted(redirect=f"/console/lessons/schedule?start={day.isoformat()}#day-{day}")


# ------------------------------------------------------------------ routes

CoverDep = Annotated[bytes, Depends(uploaded_cover)]


@router.get("", response_class=HTMLResponse)
def lesson_list(request: Request, session: SessionDep, user: ConsoleUserDep,
                series: Annotated[int | None, Query(ge=1, le=2**31)] = None) -> HTMLResponse:
    """Every lesson, newest first, optionally of one series."""
    return page(request, "lessons.html", lessons_context(session, user, series))


@router.get("/new", response_class=HTMLResponse)
def new_lesson(request: Request, session: SessionDep, settings: SettingsDep,
               user: ConsoleUserDep) -> HTMLResponse:
    """An empty lesson form, published today unless changed."""
    today = datetime.now(settings.zone).date()
    return page(request, "lesson_form.html", new_lesson_context(session, user, today))


@router.post("/new", response_class=HTMLResponse)
def create_lesson(request: Request, session: SessionDep, user: ConsoleUserDep,
                  form: CheckedForm) -> Response:
    """Create the lesson, or show the form again with its preview or its errors."""
    return _answer(request, post_lesson(session, user, None, form), "lesson_form.html")


@router.post("/preview", response_class=HTMLResponse)
def preview(request: Request, user: ConsoleUserDep, form: CheckedForm) -> HTMLResponse:
    """The Markdown as members will see it (htmx swaps it in while the admin types)."""
    require_unscoped_admin(user, WHAT)
    return page(request, "lesson_preview.html",
                {"preview": markdown_to_html(form.get("body", "")[:BODY_MAX])})


@router.get("/series", response_class=HTMLResponse)
def series_page(request: Request, session: SessionDep, user: ConsoleUserDep) -> HTMLResponse:
    """The 专题 with their lesson counts, and a form for a new one."""
    return page(request, "lesson_series.html", series_context(session, user))


@router.post("/series", response_class=HTMLResponse)
def create_series(request: Request, session: SessionDep, user: ConsoleUserDep,
                  form: CheckedForm) -> Response:
    """Add a 专题."""
    return _answer(request, add_series(session, user, form), "lesson_series.html")


@router.post("/series/{series_id}/delete")
def delete_series(series_id: EntityId, session: SessionDep, user: ConsoleUserDep,
                  _form: CheckedForm) -> Response:
    """Remove a 专题; its lessons stay, without one."""
    remove_series(session, user, series_id)
    return RedirectResponse("/console/lessons/series", status_code=303)


@router.get("/schedule", response_class=HTMLResponse)
def schedule_page(request: Request, session: SessionDep, settings: SettingsDep,
                  user: ConsoleUserDep, start: date | None = None) -> HTMLResponse:
    """Two weeks of daily lessons: the chosen ones and what the rotation would send."""
    first = start or datetime.now(settings.zone).date()
    return page(request, "lesson_schedule.html", schedule_context(session, user, first))


@router.post("/schedule", response_class=HTMLResponse)
def schedule_day(request: Request, session: SessionDep, settings: SettingsDep,
                 user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Choose a day's lesson, or give the day back to the rotation."""
    today = datetime.now(settings.zone).date()
    return _answer(request, choose_for_day(session, user, form, today), "lesson_schedule.html")


@router.get("/{lesson_id}", response_class=HTMLResponse)
def edit_lesson(request: Request, lesson_id: EntityId, session: SessionDep,
                user: ConsoleUserDep, saved: bool = False) -> HTMLResponse:
    """One lesson's form with its preview and cover."""
    return page(request, "lesson_form.html", edit_context(session, user, lesson_id, saved))


@router.post("/{lesson_id}", response_class=HTMLResponse)
def update_lesson(request: Request, lesson_id: EntityId, session: SessionDep,
                  user: ConsoleUserDep, form: CheckedForm) -> Response:
    """Save the lesson, or show the form again with its preview or its errors."""
    return _answer(request, post_lesson(session, user, lesson_id, form), "lesson_form.html")


@router.post("/{lesson_id}/cover", response_class=HTMLResponse)
def upload(request: Request, lesson_id: EntityId, session: SessionDep, settings: SettingsDep,
           user: ConsoleUserDep, content: CoverDep) -> Response:
    """Replace the lesson's cover with the uploaded JPG, PNG or GIF."""
    return _answer(request, upload_cover(session, user, settings, lesson_id, content),
                   "lesson_form.html")
