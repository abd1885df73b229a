"""``/api/admin/members/{id}/reachability``."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from app.deps import CurrentAdmin, EntityId, SessionDep, SettingsDep
from app.reachability.schemas import Reachability
from app.reachability.service import reachability

router = APIRouter(prefix="/api/admin/members", tags=["admin"])


@router.get("/{member_id}/reachability", response_model=Reachability, status_code=200)
def member_reachability(member_id: EntityId, admin: CurrentAdmin, session: SessionDep,
                        settings: SettingsDep) -> Reachability:
    """Whether the member can be messaged now, by which channel, and why not."""
    return reachability(session, member_id, datetime.now(UTC), settings.reminder_template_id,
                        settings.mp_reminder_template_id, admin.scope)
