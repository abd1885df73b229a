"""What the console's content pages (lessons, events at the door, sensitive words) share:
the admin-only gate and the fragment check for htmx."""

from __future__ import annotations

from fastapi import Request

from app.console.refusals import ConsoleForbidden
from app.console.rendering import page, templates
from app.console.session import ConsoleUser
from bots.texts import mask_phone

__all__ = ["AdminOnly", "is_htmx", "page", "require_admin"]

# A printed sheet shows phones masked, as the chat does.
templates.env.filters["mask_phone"] = mask_phone


class AdminOnly(ConsoleForbidden):
    """A page or action for admins, opened by an organizer."""

    def __init__(self, what: str) -> None:
        super().__init__(f"只有管理员可以{what}。如需操作，请联系管理员。", "/console")


def require_admin(user: ConsoleUser, what: str) -> None:
    if not user.principal.is_admin:
        raise AdminOnly(what)


def is_htmx(request: Request) -> bool:
    """An htmx request wants the changed fragment, not the whole page."""
    return request.headers.get("HX-Request") == "true"
