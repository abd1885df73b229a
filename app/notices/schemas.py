"""Notices over HTTP: what is posted and what is answered."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from app.notices.service import CHANNELS, NoticeView


class NoticeIn(BaseModel):
    """A notice to write: the title, the text, and to whom (orgs' subtrees, or everyone)."""

    # Bounded here only against abuse; the service names what is too long in Chinese.
    title: str = Field(max_length=400)
    body: str = Field(max_length=5000)
    # Database keys: a number past 64 bits can only be a missing org (and must not reach
    # the driver, which refuses it with an error of its own).
    org_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(default_factory=list,
                                                                   max_length=200)
    everyone: bool = False


class TargetOut(BaseModel):
    id: int
    name: str


class ReasonOut(BaseModel):
    reason: str
    count: int


class MassSendOut(BaseModel):
    """The notice's mass send to its own tag, which holds the members left over."""

    members: int = Field(description="members in the notice's tag")
    msg_id: int | None = Field(description="the platform's msg_id (None: an earlier try sent it, "
                                           "or it did not go out)")
    error: str | None = Field(description="why it did not go out, in Chinese")
    tag_deleted: bool = Field(description="whether the notice's tag has been deleted again")


class NoticeOut(BaseModel):
    id: int
    title: str
    body: str
    everyone: bool
    targets: list[TargetOut]
    target_label: str
    status: str = Field(description="draft, sending or sent")
    created_by: str
    created_at: datetime
    sent_at: datetime | None
    text: str = Field(description="the text a member reads in the chat (and a mass send)")
    template_data: dict[str, str] = Field(description="the template message's fields")
    reached: dict[str, int] = Field(
        description=f"members reached, by channel ({', '.join(CHANNELS)})")
    reached_total: int
    on_the_way: int = Field(description="queued for the dispatcher, not sent yet")
    not_reached: int
    reasons: list[ReasonOut] = Field(description="why the others were not reached")
    mass_send: MassSendOut | None = Field(
        default=None, description="the mass send to the members left over, once sent")

    @classmethod
    def of(cls, view: NoticeView) -> NoticeOut:
        counts = view.counts
        return cls(id=view.id, title=view.title, body=view.body, everyone=view.everyone,
                   targets=[TargetOut(**target) for target in view.targets],
                   target_label=view.target_label, status=view.status,
                   created_by=view.created_by, created_at=view.created_at,
                   sent_at=view.sent_at, text=view.text, template_data=view.template_data,
                   reached=counts.by_channel, reached_total=counts.reached,
                   on_the_way=counts.on_the_way, not_reached=counts.not_reached,
                   reasons=[ReasonOut(reason=reason, count=count)
                            for reason, count in counts.reasons.items()],
                   mass_send=None if view.mass_send is None else MassSendOut(
                       members=int(view.mass_send.get("members", 0)),
                       msg_id=view.mass_send.get("msg_id"), error=view.mass_send.get("error"),
                       tag_deleted=bool(view.mass_send.get("tag_deleted"))))
