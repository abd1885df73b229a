"""What the console's content pages (lessons, events at the door, sensitive words) share:
the admin-only gate and the fragment check for htmx."""

from __future__ import annotations

from fastapi import Request

from app.console.refusals import ConsoleForbidden
from app.console.rendering import page, templates
from app.console.session import ConsoleUser
from bots.texts import mask_phone

__all__ = ["AdminOnly", "is_htmx", "page", "require_admin", "require_unscoped_admin"]

# A printed sheet shows phones masked, as the chat does.
templates.env.filters["mask_phone"] = mask_phone


SHARED_CONTENT = ("只有不限定组织的管理员可以{what}：这些内容由所有组织共用。"
                  "如需修改，请联系上级党组织的管理员。")


class AdminOnly(ConsoleForbidden):
    """A page or action for admins, opened by an organizer."""

    def __init__(self, what: str) -> None:
        super().__init__(f"只有管理员可以{what}。如需操作，请联系管理员。", "/console")


def require_admin(user: ConsoleUser, what: str) -> None:
    if not user.principal.is_admin:
        raise AdminOnly(what)


def require_unscoped_admin(user: ConsoleUser, what: str) -> None:
    """Content every org shares (lessons, the sensitive-word list) is changed by admins
    not limited to an org: one branch must not change it for all the others."""
    require_admin(user, what)
    if not user.principal.scope.is_everything:
        raise ConsoleForbidden(SHARED_CONTENT.format(what=what), "/console")


def is_htmx(request: Request) -> bool:
    """An htmx request wants the changed fragment, not the whole page."""
    return request.headers.get("HX-Request") == "true"
