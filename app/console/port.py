""":class:`bots.ports.ConsoleAccess` over the turn's session: ``后台`` links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from app.console import links
from bots.ports import ConsoleLink


class ConsoleAccessPort:
    def __init__(self, session: Session, public_url: str) -> None:
        self._session = session
        self._public_url = public_url

    def sign_in_link(self, member_id: int, now: datetime) -> ConsoleLink:
        return links.issue(self._session, member_id, self._public_url, now)
