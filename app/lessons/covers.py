"""Lesson cover images: uploaded in the console, served at ``/lessons/{id}/cover``.

The bytes go into ``HONGXIN_MEDIA_DIR`` when it is set (under ``lesson-covers/``,
named by the server, never by the uploader), into the database otherwise.
The type is read from the file's first bytes, not from what the browser
claimed, and only the image formats WeChat news cards show are taken.
``lesson.cover_url`` then points at the served image, so chat news cards and
the mini-program show it; the ``v`` parameter changes with every upload, so no
cache keeps an old cover. A replaced cover's file is left in place: were the
upload's transaction rolled back, the row would still point at it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from app.dialect import insert_on_conflict
from app.errors import InvalidInput, NotFound
from app.lessons.service import get_lesson
from app.models.lesson import LessonCover

__all__ = ["Cover", "cover_of", "image_type", "store_cover"]

_SIGNATURES = ((b"\xff\xd8\xff", "image/jpeg", "jpg"), (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
               (b"GIF87a", "image/gif", "gif"), (b"GIF89a", "image/gif", "gif"))
_FOLDER = "lesson-covers"


@dataclass(frozen=True, slots=True)
class Cover:
    content: bytes
    content_type: str


def image_type(content: bytes) -> tuple[str, str] | None:
    """(content type, file extension) of a JPEG, PNG or GIF; None for anything else."""
    for signature, content_type, extension in _SIGNATURES:
        if content.startswith(signature):
            return content_type, extension
    return None


def _invalid(message: str) -> InvalidInput:
    return InvalidInput(message, errors=[{"field": "cover", "message": message}])


def store_cover(session: Session, lesson_id: int, content: bytes, *, public_url: str,
                media_dir: Path | None, max_bytes: int, now: datetime) -> str:
    """Keep ``content`` as the lesson's cover; the address its cover is now served at."""
    lesson = get_lesson(session, lesson_id)
    if not content:
        raise _invalid("请选择一张封面图片。")
    if len(content) > max_bytes:
        raise _invalid(f"图片太大：最大 {max_bytes // (1024 * 1024) or 1} MB。")
    kind = image_type(content)
    if kind is None:
        raise _invalid("封面只能是 JPG、PNG 或 GIF 图片。")
    content_type, extension = kind
    data: bytes | None = content
    stored_name = None
    if media_dir is not None:
        stored_name = f"lesson-{lesson_id}-{secrets.token_hex(8)}.{extension}"
        folder = media_dir / _FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        (folder / stored_name).write_bytes(content)
        data = None
    values = {"content_type": content_type, "data": data, "stored_name": stored_name,
              "uploaded_at": now}
    session.execute(insert_on_conflict(session, LessonCover)
                    .values(lesson_id=lesson_id, **values)
                    .on_conflict_do_update(index_elements=["lesson_id"], set_=values))
    version = int(now.timestamp())
    lesson.cover_url = f"{public_url.rstrip('/')}/lessons/{lesson_id}/cover?v={version}"
    session.flush()
    return lesson.cover_url


def cover_of(session: Session, lesson_id: int, media_dir: Path | None) -> Cover:
    """The uploaded cover of a lesson: 404 when there is none (or its file is gone)."""
    row = session.get(LessonCover, lesson_id)
    if row is None:
        raise NotFound(f"lesson {lesson_id} has no uploaded cover")
    if row.data is not None:
        return Cover(row.data, row.content_type)
    if media_dir is None or row.stored_name is None:
        raise NotFound(f"the cover of lesson {lesson_id} is not reachable here")
    try:
        return Cover((media_dir / _FOLDER / row.stored_name).read_bytes(), row.content_type)
    except FileNotFoundError:
        raise NotFound(f"the cover file of lesson {lesson_id} is missing") from None
