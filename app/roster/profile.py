"""The mini-program's binding and profile: the chat's rules, answered as app text.

Refusals here are read in the app, so they carry no chat instructions such as
发送“绑定 …”: the app shows its own form.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from app.errors import Conflict, InvalidInput
from app.models.member import Member
from app.moderation.words import banned_word
from app.points.service import total
from app.ratelimit import counter as ratelimit
from app.roster.port import BIND_ATTEMPTS, bind_member, bound_entry, card
from bots.profile import normalize_branch, normalize_name, normalize_phone
from bots.texts import mask_phone

NO_MATCH = ("没有找到与该姓名和手机号一致的花名册记录。请核对后重试；如仍不成功，请联系您所在"
            "党支部的书记或组织委员，或联系管理员核对花名册。")
TAKEN = ("该花名册记录已绑定其他微信账号。如需更换，请联系“{org}”的书记或组织委员，"
         "或联系管理员解除原绑定。")
ALREADY = "您已绑定花名册（{org}）。如信息有误，请联系所在党支部的书记或组织委员。"
FROM_ROSTER = ("您已绑定花名册，姓名、手机号和所在组织以花名册为准。"
               "如有变动，请联系所在党支部的书记或组织委员。")
TOO_FAST = "绑定尝试过于频繁，请一小时后再试。"
SENSITIVE = "内容包含不宜使用的词语，请修改后重新提交。"
_NORMALIZERS = {"name": (normalize_name, "姓名需为 1–20 个汉字或字母"),
                "phone": (normalize_phone, "请填写 11 位手机号"),
                "branch": (normalize_branch, "支部名称需为 2–30 个字")}


def profile(session: Session, member: Member) -> dict[str, Any]:
    """What the app's 我的信息 page shows; the phone is masked as in the chat."""
    entry = bound_entry(session, member.id)
    shown = card(session, entry) if entry is not None else None
    phone = shown.phone if shown is not None else member.phone
    return {
        "bound": shown is not None,
        "name": shown.name if shown is not None else member.name,
        "phone": mask_phone(phone) if phone else None,
        "org": shown.org if shown is not None else None,
        "status": shown.status if shown is not None else None,
        "duty": entry.duty if entry is not None else None,
        "branch": None if shown is not None else member.branch,
        "points": total(session, member.id),
    }


def bind(session: Session, member: Member, name: str, phone: str,
         now: datetime) -> dict[str, Any]:
    clean_name, clean_phone = normalize_name(name), normalize_phone(phone)
    errors = [{"field": field, "message": message}
              for field, value, message in (("name", clean_name, "姓名需为 1–20 个汉字或字母"),
                                            ("phone", clean_phone, "请填写 11 位手机号"))
              if value is None]
    if errors or clean_name is None or clean_phone is None:
        raise InvalidInput("姓名或手机号格式不正确", errors=errors)
    result = bind_member(session, member.id, clean_name, clean_phone, now)
    if result.outcome == "rate_limited":
        raise ratelimit.refusal(ratelimit.Verdict(False, BIND_ATTEMPTS.max_hits + 1,
                                                  int(BIND_ATTEMPTS.window.total_seconds())),
                                TOO_FAST)
    # Refusals are answers, not errors: an error would roll back the attempt's count,
    # and guesses must keep counting.
    org = result.card.org if result.card is not None else ""
    messages = {"bound": None, "already_bound": ALREADY.format(org=org),
                "taken": TAKEN.format(org=org), "no_match": NO_MATCH}
    return {**profile(session, member), "message": messages[result.outcome]}


def update_profile(session: Session, member: Member, changes: dict[str, str]) -> dict[str, Any]:
    """Set name, phone or branch of a member who is not on the roster."""
    if bound_entry(session, member.id) is not None:
        raise Conflict(FROM_ROSTER)
    errors: list[dict[str, str]] = []
    clean: dict[str, str] = {}
    for field, raw in changes.items():
        normalize, message = _NORMALIZERS[field]
        value = normalize(raw)
        if value is None:
            errors.append({"field": field, "message": message})
        elif banned_word(session, value) is not None:
            errors.append({"field": field, "message": SENSITIVE})
        else:
            clean[field] = value
    if errors:
        raise InvalidInput("个人信息有误", errors=errors)
    for field, value in clean.items():
        setattr(member, field, value)
    session.flush()
    return profile(session, member)


