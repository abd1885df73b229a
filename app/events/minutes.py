"""Minutes (纪要) of a meeting: the text and its photos.

The text is replaced by each upload; photos are added. A photo is accepted only
when its bytes are a JPEG, PNG, GIF or WebP image (its magic bytes, not the
name or the type the browser claimed, which must at least agree), and each file
is held to ``HONGXIN_MAX_UPLOAD_BYTES`` (the request guard holds the whole body
to it before anything is read). Photos go into the database, or into
``HONGXIN_MEDIA_DIR`` when it is set, under a name of our own making: nothing a
client sends becomes part of a path.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import InvalidInput, NotFound
from app.events.kinds import is_meeting
from app.models import Event, Meeting, MeetingPhoto

MAX_TEXT = 20_000
MAX_PHOTOS = 9
# (magic bytes at offset 0, more magic at offset 8, content type, file extension)
_IMAGE_MAGIC = (
    (b"\xff\xd8\xff", b"", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", b"", "image/png", "png"),
    (b"GIF87a", b"", "image/gif", "gif"),
    (b"GIF89a", b"", "image/gif", "gif"),
    (b"RIFF", b"WEBP", "image/webp", "webp"),
)


@dataclass(frozen=True, slots=True)
class Upload:
    """One uploaded file as the router read it (at most the limit plus one byte)."""

    filename: str
    content_type: str
    data: bytes


def _invalid(field: str, message: str) -> InvalidInput:
    return InvalidInput(f"invalid input: {field}", errors=[{"field": field, "message": message}])


def sniff_image(data: bytes) -> tuple[str, str] | None:
    """The (content type, extension) the bytes really are, or None when not an image."""
    for head, at_eight, content_type, extension in _IMAGE_MAGIC:
        if data.startswith(head) and (not at_eight or data[8:12] == at_eight):
            return content_type, extension
    return None


def _check_photo(index: int, upload: Upload, limit: int) -> tuple[str, str]:
    field = f"photos[{index}]"
    if not upload.data:
        raise _invalid(field, f"照片“{upload.filename}”是空文件")
    if len(upload.data) > limit:
        raise _invalid(field, f"照片“{upload.filename}”超过 {limit // (1024 * 1024)} MiB")
    sniffed = sniff_image(upload.data)
    if sniffed is None:
        raise _invalid(field, f"“{upload.filename}”不是 JPEG、PNG、GIF 或 WebP 图片")
    declared = upload.content_type.split(";")[0].strip().lower()
    if declared not in ("", "application/octet-stream", sniffed[0]):
        raise _invalid(field, f"“{upload.filename}”声明的类型 {declared} 与内容（{sniffed[0]}）"
                              "不符")
    return sniffed


def meeting_of(session: Session, event: Event) -> Meeting:
    meeting = session.get(Meeting, event.id)
    if meeting is None or not is_meeting(event.kind):
        raise NotFound(f"event {event.id} is not a meeting: it has no minutes")
    return meeting


def save(session: Session, event: Event, text: str, photos: list[Upload], *, by: str,
         now: datetime, media_dir: Path | None, max_bytes: int) -> Meeting:
    """Store the minutes' text and add the photos; every file is checked before any is kept."""
    meeting = meeting_of(session, event)
    text = text.strip()
    if not text:
        raise _invalid("text", "请填写会议纪要内容")
    if len(text) > MAX_TEXT:
        raise _invalid("text", f"会议纪要不能超过 {MAX_TEXT} 字")
    if len(photos) > MAX_PHOTOS:
        raise _invalid("photos", f"每次最多上传 {MAX_PHOTOS} 张照片")
    checked = [_check_photo(index, upload, max_bytes) for index, upload in enumerate(photos)]
    meeting.minutes, meeting.minutes_by, meeting.minutes_at = text, by, now
    for upload, (content_type, extension) in zip(photos, checked, strict=True):
        photo = MeetingPhoto(event_id=event.id, content_type=content_type,
                             size=len(upload.data), created_at=now)
        if media_dir is not None:
            photo.path = _write(media_dir, event.id, extension, upload.data)
        else:
            photo.data = upload.data
        session.add(photo)
    session.flush()
    return meeting


def _write(root: Path, event_id: int, extension: str, data: bytes) -> str:
    relative = Path("meetings") / str(event_id) / f"{secrets.token_hex(16)}.{extension}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return relative.as_posix()


def photos(session: Session, event_id: int) -> list[MeetingPhoto]:
    return list(session.scalars(select(MeetingPhoto).where(MeetingPhoto.event_id == event_id)
                                .order_by(MeetingPhoto.id)))


def photo_bytes(session: Session, event: Event, photo_id: int,
                media_dir: Path | None) -> tuple[str, bytes]:
    photo = session.scalar(select(MeetingPhoto).where(MeetingPhoto.id == photo_id,
                                                      MeetingPhoto.event_id == event.id))
    if photo is None:
        raise NotFound(f"no photo {photo_id} for event {event.id}")
    if photo.data is not None:
        return photo.content_type, photo.data
    if media_dir is None or photo.path is None:
        raise NotFound(f"photo {photo_id} is stored under HONGXIN_MEDIA_DIR, which is not set")
    path = media_dir / photo.path
    if not path.is_file():
        raise NotFound(f"photo {photo_id} is missing from HONGXIN_MEDIA_DIR")
    return photo.content_type, path.read_bytes()
