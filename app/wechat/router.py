"""``/wechat``: the callback URL configured on the WeChat platform."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse

from app.wechat.gateway import MAX_BODY_BYTES, CallbackGateway, CallbackRefused

router = APIRouter(tags=["wechat"])


def get_gateway(request: Request) -> CallbackGateway:
    gateway: CallbackGateway = request.app.state.gateway
    return gateway


GatewayDep = Annotated[CallbackGateway, Depends(get_gateway)]


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


@router.get("/wechat", response_class=PlainTextResponse)
async def verify_url(request: Request, gateway: GatewayDep) -> Response:
    """URL verification: echoes ``echostr`` when the signature holds."""
    try:
        return PlainTextResponse(gateway.echo(request.query_params))
    except CallbackRefused as refused:
        return PlainTextResponse(refused.reason, status_code=refused.status)


@router.post("/wechat", response_class=PlainTextResponse)
async def receive_callback(request: Request, gateway: GatewayDep) -> Response:
    """A message or event from a member: passive-reply XML, or ``success``."""
    try:
        body = await read_limited_body(request)
        reply = await gateway.handle(request.query_params, body)
    except CallbackRefused as refused:
        return PlainTextResponse(refused.reason, status_code=refused.status)
    media_type = "text/plain" if reply == "success" else "application/xml"
    return Response(reply, media_type=media_type)
