"""How every console page is rendered: one template set, one set of page headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from app.console.assets import static_url
from app.console.pages import tel_href

templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
templates.env.filters["tel"] = tel_href
templates.env.globals["static"] = static_url

# Scripts only from our own files (htmx, ECharts and ours under /console/static), never
# inline; requests only back to us; nobody may frame the pages (clickjacking).
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; script-src 'self'; "
                               "style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
                               "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                               "base-uri 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    # Pages list names and phones: keep them out of shared caches and the back-forward cache.
    "Cache-Control": "no-store",
}


def page(request: Request, name: str, context: dict[str, Any], status_code: int = 200
         ) -> HTMLResponse:
    """``name`` rendered with ``context``, with the console's page headers."""
    response = templates.TemplateResponse(request, name, context, status_code=status_code)
    response.headers.update(PAGE_HEADERS)
    return response
