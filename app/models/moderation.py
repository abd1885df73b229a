"""The sensitive-word list (敏感词库) that every process filters member text with."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class SensitiveWord(Base):
    __tablename__ = "sensitive_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored folded (NFKC, lower case, no spaces), as the filter compares.
    word: Mapped[str] = mapped_column(String(50), unique=True)
    added_by: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime]


class SensitiveWordsRevision(Base):
    """One row: a fresh random ``revision`` with every edit of the list.

    Each process keeps the automaton it built with the revision it read; one
    primary-key lookup per check tells whether another process changed the list
    since. A random value rather than a counter, so two databases (or a rolled-back
    edit) can never present the same revision for different lists.
    """

    __tablename__ = "sensitive_words_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime]
