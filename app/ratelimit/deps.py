"""``ClientAddress``: the address per-address limits are keyed on."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request


def client_address(request: Request) -> str:
    # Behind a reverse proxy this is the proxy's address unless uvicorn's proxy
    # headers (on by default, trusting FORWARDED_ALLOW_IPS) take it from X-Forwarded-For.
    return request.client.host if request.client is not None else "unknown"


ClientAddress = Annotated[str, Depends(client_address)]
