"""The sensitive-word matcher: every word of a list found in one pass over a text.

pyahocorasick matches the whole list in one pass, so the cost does not grow
with the list. Matching ignores case, full-width forms and spaces
(:func:`fold`); the list itself lives in the database (:mod:`app.moderation.words`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

import ahocorasick


def fold(text: str) -> str:
    """``text`` as compared: NFKC, lower case, without any white space."""
    # Full-width letters, case and spaces must not let a listed word slip through.
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


class WordFilter:
    def __init__(self, words: Iterable[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for word in {fold(word) for word in words if word.strip()}:
            self._automaton.add_word(word, word)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    def first_banned_word(self, text: str) -> str | None:
        if self._empty:
            return None
        for _end, word in self._automaton.iter(fold(text)):
            return str(word)
        return None

    def banned_words(self, text: str) -> list[str]:
        """Every listed word the text contains, each once, in the order they first appear."""
        if self._empty:
            return []
        return list(dict.fromkeys(str(word) for _end, word in self._automaton.iter(fold(text))))
