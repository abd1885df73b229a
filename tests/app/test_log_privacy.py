"""No personal data in logs: names, phone numbers and openids never appear in full."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient

from tests.support.wechat import Platform, message_xml

OPENID = "oPrivacyTest_9f8e7d6c5b4a"
NAME, PHONE, BRANCH = "欧阳明月", "13912345678", "隐私测试党支部"


def test_callback_logs_carry_no_personal_data(client: TestClient, platform: Platform,
                                              caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    for text in [f"姓名 {NAME}", f"电话 {PHONE}", f"支部 {BRANCH}", "帮助", "电话 10987654321"]:
        response = client.post("/wechat", params=platform.params(),
                               content=message_xml("text", OPENID, content=text).encode())
        assert response.status_code == 200
    # A refused request is logged too; it must not leak the body either.
    client.post("/wechat", params=platform.params() | {"signature": "0" * 40},
                content=message_xml("text", OPENID, content=f"姓名 {NAME}").encode())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "callback kind=text" in logged  # the structured line is there …
    for secret in (OPENID, NAME, PHONE, BRANCH, "10987654321"):
        assert secret not in logged  # … without the member's data
