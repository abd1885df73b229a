from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Notice(Base):
    """A notice (通知) to the bound members of chosen orgs' subtrees, or to everyone.

    ``status``: draft → sending (the send has begun; sending again finishes it,
    nothing goes out twice) → sent. Who it reached, by which channel, and why
    the others were not, lives in the outbox rows ``notice:{id}:{member_id}``.
    The members no channel reaches one by one get one mass send to the notice's
    own WeChat tag (``mass_tag_id``; ``mass_tag_deleted_at`` once the tag is
    deleted again, a day later). ``mass_sends`` records that send:
    ``{"tag_id", "msg_id", "error", "members"}`` (``error`` in Chinese when it did
    not go out, ``msg_id`` None when an earlier try had sent it).
    """

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    everyone: Mapped[bool] = mapped_column(default=False)
    created_by: Mapped[str] = mapped_column(String(64))
    created_by_token_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_tokens.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    # Any: JSON objects as described above.
    mass_sends: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    mass_tag_id: Mapped[int | None]
    mass_tag_deleted_at: Mapped[datetime | None]


class NoticeTarget(Base):
    """One org whose subtree a notice goes to."""

    __tablename__ = "notice_targets"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"),
                                           primary_key=True)
    # A deleted org (empty by then) drops out of the notices that named it.
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"),
                                        primary_key=True, index=True)


class NoticeMassMember(Base):
    """A member a notice leaves to its mass send, written before the member is put in
    the notice's tag: a send resumed after a crash keeps such a member on the mass
    send (the tag may have gone out already) instead of planning them again."""

    __tablename__ = "notice_mass_members"

    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"),
                                           primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)
    # Why no channel reached the member one by one, kept for the member's outbox row.
    reason: Mapped[str] = mapped_column(Text)


class WeChatTagMember(Base):
    """A member we put in an org's WeChat user tag, so that one who leaves the org's
    subtree (moved, unbound) can be taken out of it at the next sync."""

    __tablename__ = "wechat_tag_members"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"),
                                        primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"),
                                           primary_key=True, index=True)
    tagged_at: Mapped[datetime]
