from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class Org(Base):
    """A node of the organisation tree (党委 → 党总支 → 党支部 → 党小组), any depth.

    ``path`` lists the ids from the root down to this node, ``/1/5/9/``, so a
    subtree is one indexed prefix match (``path LIKE '/1/5/%'``) instead of a
    recursive query. Names are unique among siblings; roots are siblings too.
    """

    __tablename__ = "orgs"
    __table_args__ = (
        Index("uq_orgs_parent_id_name", "parent_id", "name", unique=True,
              sqlite_where=text("parent_id IS NOT NULL"),
              postgresql_where=text("parent_id IS NOT NULL")),
        Index("uq_orgs_root_name", "name", unique=True,
              sqlite_where=text("parent_id IS NULL"), postgresql_where=text("parent_id IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str | None] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(512), index=True)
    created_at: Mapped[datetime]
    # The WeChat user tag that mirrors this org's subtree (created at its first notice).
    wechat_tag_id: Mapped[int | None]


class RosterEntry(Base):
    """One person on the roster (花名册), known by their mainland mobile number.

    ``member_id`` is the WeChat member bound to the entry: unique, so one entry
    has at most one member and one member at most one entry.
    """

    __tablename__ = "roster_entries"
    # Counts per org of people and of bound members, read from the index alone.
    __table_args__ = (Index("ix_roster_entries_org_id_member_id", "org_id", "member_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32))
    phone: Mapped[str] = mapped_column(String(11), unique=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(String(8))
    joined_on: Mapped[date | None]
    duty: Mapped[str | None] = mapped_column(String(16))
    member_id: Mapped[int | None] = mapped_column(
        ForeignKey("members.id", ondelete="SET NULL"), unique=True)
    bound_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
