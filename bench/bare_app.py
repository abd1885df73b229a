"""The baselines: a bare endpoint that checks the signature, parses the XML and returns a
fixed reply, with no database (decrypting and encrypting in safe mode, as Hongxin does).

``app`` is that endpoint on FastAPI, the baseline the issue sets; ``asgi_app`` is the
same work as plain ASGI, the way Hongxin serves ``POST /wechat``, so that the results
can also say how much of the ratio is FastAPI's own cost per request. Hongxin's
callback is measured against both under the same uvicorn settings.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response
from starlette.datastructures import QueryParams
from starlette.types import Receive, Scope, Send

from app.wechat import codec
from app.wechat.crypto import MessageCrypto
from app.wechat.signature import signature_matches

TOKEN = os.environ.get("HONGXIN_WECHAT_TOKEN", "hongxin-dev-token")
AES_KEY = os.environ.get("HONGXIN_WECHAT_AES_KEY", "")
CRYPTO = MessageCrypto(TOKEN, [AES_KEY] if AES_KEY else [],
                       os.environ.get("HONGXIN_WECHAT_APP_ID", "wxdev00000000000000"))
FIXED_REPLY = ("<xml><ToUserName><![CDATA[member]]></ToUserName><FromUserName><![CDATA[account]]>"
               "</FromUserName><CreateTime>0</CreateTime><MsgType><![CDATA[text]]></MsgType>"
               "<Content><![CDATA[ok]]></Content></xml>")


def answer(params: QueryParams, body: bytes) -> tuple[int, str]:
    """The status and body the bare endpoint answers."""
    parts = (TOKEN, params.get("timestamp", ""), params.get("nonce", ""))
    if not signature_matches(parts, params.get("signature")):
        return 403, "forbidden"
    text = codec.decode_body(body)
    if params.get("encrypt_type") == "aes":
        text, key = CRYPTO.decrypt(str(codec.parse_fields(text)["Encrypt"]))
        codec.parse_envelope(text)
        return 200, CRYPTO.encrypt(FIXED_REPLY, key, params["timestamp"])
    codec.parse_envelope(text)
    return 200, FIXED_REPLY


app = FastAPI()


@app.post("/wechat")
async def callback(request: Request) -> Response:
    status, text = answer(request.query_params, await request.body())
    return Response(text, status_code=status, media_type="application/xml")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


async def asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/healthz":
        status, text = 200, '{"status": "ok"}'
    else:
        chunks = []
        while True:
            message = await receive()
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        status, text = answer(QueryParams(scope["query_string"]), b"".join(chunks))
    payload = text.encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/xml"),
                            (b"content-length", str(len(payload)).encode())]})
    await send({"type": "http.response.body", "body": payload})
