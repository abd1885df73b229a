"""The console's static files under ``/console/static``: our own and the npm ones.

``vendor/`` is filled by ``make install`` (``npm ci`` and
scripts/vendor-assets.sh) and shipped inside the wheel, so a running service
never fetches anything from the network. Every page links a file with its
content digest in the query (:func:`static_url`), so browsers may keep it for a
year: a new version of the file is a new address.
"""

from __future__ import annotations

import hashlib
import os
from functools import cache
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Scope

STATIC_DIR = Path(__file__).with_name("static")
PREFIX = "/console/static"
LONG_CACHE = "public, max-age=31536000, immutable"


class _LongCachedFiles(StaticFiles):
    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = LONG_CACHE
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def static_app() -> ASGIApp:
    """The ASGI app to mount at :data:`PREFIX`; scripts of a megabyte travel compressed."""
    return GZipMiddleware(_LongCachedFiles(directory=STATIC_DIR), minimum_size=1024)


@cache
def _digest(relative: str) -> str:
    return hashlib.sha256((STATIC_DIR / relative).read_bytes()).hexdigest()[:12]


def static_url(relative: str) -> str:
    """The address of ``static/<relative>``, versioned by its content."""
    return f"{PREFIX}/{relative}?v={_digest(relative)}"
