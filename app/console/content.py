"""What the console's content pages share: their response headers and the admin-only gate."""

from __future__ import annotations

from typing import Any, ClassVar

from fastapi import Request
from fastapi.responses import HTMLResponse

from app.console.pages import ConsoleRefusal
from app.console.router import PAGE_HEADERS, templates
from app.console.session import ConsoleUser
from bots.texts import mask_phone

# A printed sheet shows phones masked, as the chat does.
templates.env.filters["mask_phone"] = mask_phone


class AdminOnly(ConsoleRefusal):
    """A page or action for admins, opened by an organizer."""

    status: ClassVar[int] = 403
    code: ClassVar[str] = "forbidden"

    def __init__(self, what: str) -> None:
        super().__init__(f"只有管理员可以{what}。如需操作，请联系管理员。", "/console")


def require_admin(user: ConsoleUser, what: str) -> None:
    if not user.principal.is_admin:
        raise AdminOnly(what)


def is_htmx(request: Request) -> bool:
    """An htmx request wants the changed fragment, not the whole page."""
    return request.headers.get("HX-Request") == "true"


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200
         ) -> HTMLResponse:
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response
