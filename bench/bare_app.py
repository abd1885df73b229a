"""The baseline: a bare FastAPI endpoint that checks the signature, parses the XML and
returns a fixed reply, with no database (decrypting and encrypting in safe mode, as Hongxin
does). Hongxin's callback is measured against it under the same uvicorn settings."""

from __future__ import annotations

import os

from fastapi import FastAPI, Request, Response

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

app = FastAPI()


@app.post("/wechat")
async def callback(request: Request) -> Response:
    params = request.query_params
    parts = (TOKEN, params.get("timestamp", ""), params.get("nonce", ""))
    if not signature_matches(parts, params.get("signature")):
        return Response("forbidden", status_code=403)
    text = codec.decode_body(await request.body())
    if params.get("encrypt_type") == "aes":
        text, key = CRYPTO.decrypt(str(codec.parse_fields(text)["Encrypt"]))
        codec.parse_envelope(text)
        return Response(CRYPTO.encrypt(FIXED_REPLY, key, params["timestamp"]),
                        media_type="application/xml")
    codec.parse_envelope(text)
    return Response(FIXED_REPLY, media_type="application/xml")


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}
