"""``/wechat``: the callback URL configured on the WeChat platform."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from starlette.datastructures import QueryParams
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from app.wechat.gateway import MAX_BODY_BYTES, CallbackGateway, CallbackRefused

_TEXT = b"text/plain; charset=utf-8"
_XML = b"application/xml"


def add_callback_routes(app: FastAPI) -> None:
    """``GET /wechat`` (the URL check) through FastAPI; ``POST /wechat`` as plain ASGI.

    The POST is the hot path, and FastAPI's handling of a request (building the
    Request, solving the endpoint's parameters, wrapping the Response) cost
    more than the rest of it (bench/NOTES.md). It takes no JSON and gives the
    OpenAPI nothing to describe, so FastAPI has nothing to add to it.
    """
    app.add_api_route("/wechat", verify_url, methods=["GET"], tags=["wechat"],
                      response_class=PlainTextResponse)
    app.router.routes.append(Route("/wechat", endpoint=receive_callback, methods=["POST"],
                                   include_in_schema=False))


async def verify_url(request: Request) -> PlainTextResponse:
    """URL verification: echoes ``echostr`` when the signature holds."""
    gateway: CallbackGateway = request.app.state.gateway
    try:
        return PlainTextResponse(gateway.echo(request.query_params))
    except CallbackRefused as refused:
        return PlainTextResponse(refused.reason, status_code=refused.status)


class _ReceiveCallback:
    """A message or event from a member: passive-reply XML, or ``success``.

    An ASGI app rather than a function, so that Starlette's Route serves it as
    it is instead of wrapping it in a Request and a Response.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        gateway: CallbackGateway = scope["app"].state.gateway
        try:
            body = await _read_limited_body(scope, receive)
            reply = await gateway.handle(QueryParams(scope["query_string"]), body)
        except CallbackRefused as refused:
            await _answer(send, refused.status, refused.reason, _TEXT)
            return
        await _answer(send, 200, reply, _TEXT if reply == "success" else _XML)


receive_callback = _ReceiveCallback()


async def _read_limited_body(scope: Scope, receive: Receive) -> bytes:
    """The body, refusing more than the limit without reading it all into memory."""
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit() and int(value) > MAX_BODY_BYTES:
            raise CallbackRefused(413, "body_too_large")
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise CallbackRefused(400, "client_disconnected")  # nobody reads the answer
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise CallbackRefused(413, "body_too_large")
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, text: str, media_type: bytes) -> None:
    payload = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", media_type),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
