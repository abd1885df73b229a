"""The pure parts of notices: tag names within the platform's 30 bytes, the sender line,
and the dispatcher's English reasons told in Chinese."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.models import Org
from app.notices.service import label_of, reason_in_chinese
from app.notices.tags import notice_tag_name, tag_name


def org(org_id: int, name: str) -> Org:
    return Org(id=org_id, name=name, path=f"/{org_id}/", created_at=datetime.now(UTC))


@pytest.mark.parametrize("name", ["支部", "中共某某市某某区某某街道机关第一党支部委员会", "x" * 64])
def test_tag_names_fit_30_bytes_and_keep_the_org_id(name: str) -> None:
    named = tag_name(org(123456, name))
    assert len(named.encode()) <= 30
    assert named.endswith("·123456") and named.startswith(name[:2])


@pytest.mark.parametrize("notice_id", [1, 4321, 2**63 - 1])
def test_notice_tag_names_fit_30_bytes_and_never_name_an_org_tag(notice_id: int) -> None:
    named = notice_tag_name(notice_id)
    assert len(named.encode()) <= 30 and named.endswith(str(notice_id))
    # An org called as the notice tag (id and all) still gets a tag of another name.
    assert tag_name(org(notice_id, "通知")) != named
    assert tag_name(org(notice_id, named)) != named


def test_many_orgs_are_named_by_the_first_and_a_count() -> None:
    assert label_of([org(1, "一支部"), org(2, "二支部")]) == "一支部、二支部"
    many = [org(n, f"第{n}支部") for n in range(1, 6)]
    assert label_of(many) == "第1支部等 5 个组织"


@pytest.mark.parametrize(("reason", "errcode", "said"), [
    ("the member does not follow the account; the member has not used the mini-program",
     None, "取消关注"),
    ("/cgi-bin/message/custom/send: errcode 43004: require subscribe", 43004, "取消关注"),
    ("no subscribe-message credits left", None, "订阅消息次数已用完"),
    ("gave up: not delivered within 24 h of its due time (3 attempts)", -1, "已放弃"),
    ("48-hour window closed and this message has no template fields", None, "窗口已关闭"),
    ("/cgi-bin/message/template/send: errcode 40037: invalid template_id", 40037, "40037"),
    ("本月已收到 4 条群发消息", None, "本月已收到 4 条群发消息"),
    (None, None, "原因未记录"),
])
def test_reasons_are_told_in_chinese(reason: str | None, errcode: int | None,
                                     said: str) -> None:
    assert said in reason_in_chinese(reason, errcode)
