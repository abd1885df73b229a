"""The sensitive-word list (敏感词库): edited in the console, applied at once everywhere.

:func:`banned_word` is the one check for member text that others will see
(names, branches, claims, leave reasons …): every feature calls it before
storing such text. Each process keeps one automaton built from the list
together with the list's revision; a check reads the revision (one
primary-key lookup) and rebuilds the automaton only when another process,
or this one, changed the list. Several ``hongxin serve`` processes on one
database therefore agree from the first request after an edit.
"""

from __future__ import annotations

import re
import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from app.dialect import insert_on_conflict, insert_or_ignore
from app.models import SensitiveWord, SensitiveWordsRevision
from app.moderation.filter import WordFilter, fold

__all__ = ["MAX_WORD_LENGTH", "Added", "SessionWordFilter", "add_words", "banned_word",
           "banned_words", "current_filter", "list_words", "remove_word"]

MAX_WORD_LENGTH = 50
# Admins paste lists from documents: one word a line, or separated by commas or 、.
_SEPARATORS = re.compile(r"[\n\r,，、;；]+")

_built: tuple[str, WordFilter] | None = None
_building = threading.Lock()


# Built once: a Core statement on the connection skips the ORM's per-call work, and
# this runs before every check.
_REVISION = (select(SensitiveWordsRevision.__table__.c.revision)
             .where(SensitiveWordsRevision.__table__.c.id == 1))


def _revision(session: Session) -> str:
    return session.connection().execute(_REVISION).scalar() or ""


def current_filter(session: Session) -> WordFilter:
    """The automaton for the list as this session's database holds it now."""
    global _built  # noqa: PLW0603 - one automaton per process, swapped whole
    revision = _revision(session)
    built = _built
    if built is not None and built[0] == revision:
        return built[1]
    with _building:
        built = _built
        if built is not None and built[0] == revision:
            return built[1]
        words = WordFilter(session.scalars(select(SensitiveWord.word)).all())
        _built = (revision, words)
        return words


def banned_word(session: Session, text: str) -> str | None:
    """The first listed word ``text`` contains, or None: check member text others see."""
    return current_filter(session).first_banned_word(text)


def banned_words(session: Session, text: str) -> list[str]:
    """Every listed word ``text`` contains (the console's test mode)."""
    return current_filter(session).banned_words(text)


class SessionWordFilter:
    """:class:`bots.ports.WordFilter` over a turn's session: the list as it is now."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def first_banned_word(self, text: str) -> str | None:
        return banned_word(self._session, text)


def list_words(session: Session) -> Sequence[SensitiveWord]:
    return session.scalars(select(SensitiveWord).order_by(SensitiveWord.word)).all()


@dataclass(frozen=True, slots=True)
class Added:
    added: list[str]
    already_listed: list[str]
    too_long: list[str]


def _touch(session: Session, now: datetime) -> None:
    values = {"revision": secrets.token_hex(16), "changed_at": now}
    session.execute(insert_on_conflict(session, SensitiveWordsRevision)
                    .values(id=1, **values)
                    .on_conflict_do_update(index_elements=["id"], set_=values))


def add_words(session: Session, text: str, by: str, now: datetime) -> Added:
    """Add every word in ``text`` (one a line, or separated by commas or 、), each once."""
    words = list(dict.fromkeys(word for word in (fold(part) for part in _SEPARATORS.split(text))
                               if word))
    too_long = [word for word in words if len(word) > MAX_WORD_LENGTH]
    added: list[str] = []
    listed: list[str] = []
    for word in words:
        if len(word) > MAX_WORD_LENGTH:
            continue
        inserted = session.execute(
            insert_or_ignore(session, SensitiveWord)
            .values(word=word, added_by=by[:80], created_at=now).returning(SensitiveWord.id)
        ).first()
        (added if inserted is not None else listed).append(word)
    if added:
        _touch(session, now)
    return Added(added, listed, too_long)


def remove_word(session: Session, word_id: int, now: datetime) -> str | None:
    """Take a word off the list; the word removed, or None when it was not listed."""
    removed = session.execute(delete(SensitiveWord).where(SensitiveWord.id == word_id)
                              .returning(SensitiveWord.word)).scalar()
    if removed is not None:
        _touch(session, now)
    return removed
