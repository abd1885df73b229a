"""``hongxin chat``: talk to a running Hongxin as a WeChat member would.

It builds the same signed (and, with an AES key, encrypted) callback XML the
platform sends, posts it, and prints the passive reply, so the whole callback
path is exercised, not a shortcut around it.
"""

from __future__ import annotations

import secrets
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TextIO
from xml.sax.saxutils import escape

import httpx

from app.wechat import codec
from app.wechat.crypto import MessageCrypto
from app.wechat.signature import sign

ACCOUNT_ID = "gh_hongxin_dev"
CALLBACK_PATH = "/wechat"


def callback_url(url: str) -> str:
    """The callback endpoint for ``url``: a bare server address gets ``/wechat`` added."""
    parsed = httpx.URL(url)
    if parsed.path in {"", "/"}:
        return str(parsed.copy_with(path=CALLBACK_PATH))
    return url


@dataclass
class ChatClient:
    url: str
    token: str
    app_id: str
    aes_key: str | None
    openid: str
    _msg_id: int = 0

    def __post_init__(self) -> None:
        self.url = callback_url(self.url)
        self._crypto = MessageCrypto(self.token, [self.aes_key] if self.aes_key else [],
                                     self.app_id)
        self._msg_id = time.time_ns() // 1000

    def message_xml(self, text: str) -> str:
        self._msg_id += 1
        return (
            f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>"
            f"<FromUserName><![CDATA[{self.openid}]]></FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{escape(text)}</Content><MsgId>{self._msg_id}</MsgId></xml>"
        )

    def send(self, client: httpx.Client, text: str) -> str:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(8)
        params = {"timestamp": timestamp, "nonce": nonce,
                  "signature": sign(self.token, timestamp, nonce), "openid": self.openid}
        body = self.message_xml(text)
        if self._crypto.enabled:
            envelope = self._crypto.encrypt(body, 0, timestamp)
            encrypted = str(codec.parse_fields(envelope)["Encrypt"])
            params |= {"encrypt_type": "aes",
                       "msg_signature": sign(self.token, timestamp, nonce, encrypted)}
            body = f"<xml><ToUserName><![CDATA[{ACCOUNT_ID}]]></ToUserName>" \
                   f"<Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        response = client.post(self.url, params=params, content=body.encode())
        if response.status_code != 200:
            return f"[HTTP {response.status_code}] {response.text}"
        return self.readable(response.text)

    def readable(self, reply: str) -> str:
        if reply == "success":
            return "（无回复）"
        fields = codec.parse_fields(reply)
        if "Encrypt" in fields:
            plain, _ = self._crypto.decrypt(str(fields["Encrypt"]))
            fields = codec.parse_fields(plain)
        if fields.get("MsgType") == "news":
            items = fields.get("Articles", {})
            articles = items.get("item", []) if isinstance(items, dict) else []
            if isinstance(articles, dict):
                articles = [articles]
            return "\n".join(f"[{a.get('Title')}] {a.get('Description')}\n{a.get('Url')}"
                             for a in articles)
        return str(fields.get("Content", ""))


def run_chat(client: ChatClient, lines: Iterable[str], out: TextIO = sys.stdout,
             interactive: bool = True) -> None:
    with httpx.Client(timeout=10) as http:
        if interactive:
            print(f"以 {client.openid} 的身份与 {client.url} 对话，Ctrl-D 退出。", file=out)
        for line in lines:
            text = line.rstrip("\n")
            if not text.strip():
                continue
            try:
                print(client.send(http, text), file=out, flush=True)
            except BrokenPipeError:  # the reader went away (e.g. `| head`): stop quietly
                return
