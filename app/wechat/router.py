"""``/wechat``: the callback URL configured on the WeChat platform."""

from __future__ import annotations

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse

from app.wechat.gateway import MAX_BODY_BYTES, CallbackGateway, CallbackRefused


def add_callback_routes(app: FastAPI) -> None:
    """Put ``/wechat`` on the app itself, not in an included router.

    FastAPI reaches an included router's routes through a layer of its own on
    every request; for the callback, the hot path, the request took 119-140 µs
    up to its unit of work through that layer and 104-110 µs without it
    (measured in process, ASGI calls in a loop).
    """
    app.add_api_route("/wechat", verify_url, methods=["GET"], tags=["wechat"],
                      response_class=PlainTextResponse)
    app.add_api_route("/wechat", receive_callback, methods=["POST"], tags=["wechat"],
                      response_class=PlainTextResponse)


def gateway_of(request: Request) -> CallbackGateway:
    # Not a FastAPI dependency: resolving one costs more per callback than the
    # attribute lookup it would wrap, and this endpoint is the hot path.
    gateway: CallbackGateway = request.app.state.gateway
    return gateway


async def read_limited_body(request: Request) -> bytes:
    """The body, refusing more than the limit without reading it all into memory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise CallbackRefused(413, "body_too_large")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise CallbackRefused(413, "body_too_large")
        chunks.append(chunk)
    return b"".join(chunks)


async def verify_url(request: Request) -> Response:
    """URL verification: echoes ``echostr`` when the signature holds."""
    try:
        return PlainTextResponse(gateway_of(request).echo(request.query_params))
    except CallbackRefused as refused:
        return PlainTextResponse(refused.reason, status_code=refused.status)


async def receive_callback(request: Request) -> Response:
    """A message or event from a member: passive-reply XML, or ``success``."""
    try:
        body = await read_limited_body(request)
        reply = await gateway_of(request).handle(request.query_params, body)
    except CallbackRefused as refused:
        return PlainTextResponse(refused.reason, status_code=refused.status)
    media_type = "text/plain" if reply == "success" else "application/xml"
    return Response(reply, media_type=media_type)
