"""The sensitive-word filter for what members type into their profile.

pyahocorasick matches every word of the list in one pass over the text, so the
cost does not grow with the list. The list is a plain UTF-8 file, one word a
line, ``#`` for comments; admins replace it by pointing to their own file.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import ahocorasick

DEFAULT_WORD_LIST = Path(__file__).with_name("sensitive_words.txt")


class WordFilter:
    def __init__(self, words: list[str]) -> None:
        self._automaton = ahocorasick.Automaton()
        for word in {self._fold(word) for word in words if word.strip()}:
            self._automaton.add_word(word, word)
        self._empty = len(self._automaton) == 0
        if not self._empty:
            self._automaton.make_automaton()

    @classmethod
    def from_file(cls, path: Path = DEFAULT_WORD_LIST) -> WordFilter:
        lines = path.read_text(encoding="utf-8").splitlines()
        return cls([line.strip() for line in lines if not line.lstrip().startswith("#")])

    def first_banned_word(self, text: str) -> str | None:
        if self._empty:
            return None
        for _end, word in self._automaton.iter(self._fold(text)):
            return str(word)
        return None

    @staticmethod
    def _fold(text: str) -> str:
        # Full-width letters, case and spaces must not let a listed word slip through.
        return "".join(unicodedata.normalize("NFKC", text).lower().split())
