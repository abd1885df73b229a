"""A local stand-in for the WeChat HTTP API (``hongxin fake-wechat``), for development and tests.

Same paths, parameters and JSON as the platform, rules enforced, every call recorded,
and a ``/_fake`` control API to inject faults; see :mod:`app.fakewechat.app`.
"""

from app.fakewechat.app import create_fake_app
from app.fakewechat.server import FakeWeChatServer, serve
from app.fakewechat.state import DEV_APPS, FakeWeChatState, fake_openid, fake_unionid

__all__ = [
    "DEV_APPS",
    "FakeWeChatServer",
    "FakeWeChatState",
    "create_fake_app",
    "fake_openid",
    "fake_unionid",
    "serve",
]
