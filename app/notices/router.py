"""``/api/admin/notices``: write a notice, read how it did, send it (admins and organizers,
each within its scope: see :mod:`app.notices.service`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request

from app.deps import CurrentOrganizer, DatabaseDep, EntityId, SessionDep, SettingsDep
from app.errors import errors_answered
from app.notices import sending, service
from app.notices.schemas import NoticeIn, NoticeOut
from app.wechat.api import WeChatAPI

router = APIRouter(prefix="/api/admin/notices", tags=["notices"])


def wechat_api(request: Request) -> WeChatAPI:
    api: WeChatAPI = request.app.state.wechat_api
    return api


WeChatDep = Annotated[WeChatAPI, Depends(wechat_api)]


def _now() -> datetime:
    return datetime.now(UTC)


@router.get("", response_model=list[NoticeOut])
def list_notices(principal: CurrentOrganizer, session: SessionDep,
                 settings: SettingsDep) -> list[NoticeOut]:
    """The latest 50 notices in the caller's scope, each with whom it reached and how."""
    return [NoticeOut.of(view)
            for view in service.show_all(session, principal, settings.zone, _now())]


@router.post("", response_model=NoticeOut, status_code=201)
def create_notice(body: NoticeIn, principal: CurrentOrganizer, session: SessionDep,
                  settings: SettingsDep) -> NoticeOut:
    """Write a draft notice to orgs' subtrees (``org_ids``) or to everyone (unscoped admins)."""
    notice = service.create_notice(session, principal, service.Composed(
        body.title, body.body, body.org_ids, body.everyone), _now())
    return NoticeOut.of(service.describe(session, notice, settings.zone, _now()))


@router.get("/{notice_id}", response_model=NoticeOut)
def get_notice(notice_id: EntityId, principal: CurrentOrganizer, session: SessionDep,
               settings: SettingsDep) -> NoticeOut:
    """One notice: what a member reads, the counts by channel and why others were not reached."""
    return NoticeOut.of(service.show(session, notice_id, principal, settings.zone, _now()))


@router.post("/{notice_id}/send", response_model=NoticeOut, responses=errors_answered(409))
async def send_notice(notice_id: EntityId, principal: CurrentOrganizer, database: DatabaseDep,
                      settings: SettingsDep, api: WeChatDep) -> NoticeOut:
    """Send the notice over every channel the platform allows (409 when already sent)."""
    channels = sending.channels_of(settings.reminder_template_id,
                                   settings.mp_reminder_template_id, settings.zone)
    return NoticeOut.of(await sending.send_and_show(database, api, notice_id, principal,
                                                    channels, _now()))
