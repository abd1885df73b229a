"""``hongxin event qrcode N``: a parametric QR code whose scan checks members in at event N;
and the same code drawn as an image for the console."""

from __future__ import annotations

import io

import segno

from app.db import Database
from app.errors import NotFound
from app.models import Event
from app.settings import Settings
from app.wechat.api import QRCode
from app.wechat.clients import standalone_wechat_client
from bots.events import CHECKIN_SCENE

# Temporary codes live at most 30 days; that covers any sign-up period we run.
MAX_EXPIRE_SECONDS = 2_592_000


def checkin_scene(event_id: int) -> str:
    return f"{CHECKIN_SCENE}{event_id}"


async def checkin_qrcode(settings: Settings, event_id: int, *,
                         expire_seconds: int | None = MAX_EXPIRE_SECONDS) -> QRCode:
    """Ask the platform for the check-in code of an existing event."""
    database = Database(settings.database_url)
    try:
        with database.unit_of_work() as session:
            if session.get(Event, event_id) is None:
                raise NotFound(f"no event {event_id}")
        async with standalone_wechat_client(settings, database) as api:
            return await api.create_qrcode(checkin_scene(event_id), expire_seconds)
    finally:
        database.close()


def qrcode_png(content: str) -> bytes:
    """``content`` (a QR code's URL) drawn as a PNG, big enough to print and scan."""
    buffer = io.BytesIO()
    segno.make(content, error="m").save(buffer, kind="png", scale=10, border=4)
    return buffer.getvalue()
