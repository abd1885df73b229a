"""Presenting a choice question's options in a per-attempt random order.

A member sees options relabelled A, B, C … in the shuffled order and answers
with those letters; :class:`OptionShuffle` maps them back to the bank's
letters for grading and maps the right answer forward for display. Store
:attr:`OptionShuffle.letters` (e.g. ``"CADB"``) with the attempt and rebuild
it with :meth:`OptionShuffle.from_letters`.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass

from quizzes.model import LETTERS, Question

__all__ = ["OptionShuffle", "shuffle_options"]

# Options whose meaning depends on the others ("以上都对", "none of the above")
# keep their place; moving them to the top would make them nonsense.
_PINNED = re.compile(r"(以上|上述|前面|前述).{0,6}|(all|none|both|neither) of the above.*", re.I)


@dataclass(frozen=True, slots=True)
class OptionShuffle:
    """A presentation order: ``order[i]`` is the bank index of presented option ``i``."""

    order: tuple[int, ...]

    def __post_init__(self) -> None:
        if sorted(self.order) != list(range(len(self.order))):
            raise ValueError(f"order must be a permutation of 0..n-1, not {self.order!r}")

    @classmethod
    def identity(cls, size: int) -> OptionShuffle:
        """The order that changes nothing."""
        return cls(tuple(range(size)))

    @classmethod
    def from_letters(cls, letters: str) -> OptionShuffle:
        """Rebuild from :attr:`letters`, e.g. ``"CADB"``."""
        return cls(tuple(LETTERS.index(letter) for letter in letters))

    @property
    def letters(self) -> str:
        """The bank letters in presented order, e.g. ``"CADB"``: compact to store."""
        return "".join(LETTERS[index] for index in self.order)

    def present(self, question: Question) -> tuple[str, ...]:
        """The option texts in presented order (presented letter A first)."""
        self._check(question)
        return tuple(question.options[index] for index in self.order)

    def to_original(self, letters: str) -> str:
        """Presented letters → bank letters, sorted: with order CADB, ``"AB"`` → ``"AC"``."""
        return "".join(sorted(LETTERS[self.order[self._index(letter)]] for letter in letters))

    def to_presented(self, letters: str) -> str:
        """Bank letters → presented letters, sorted: with order CADB, ``"AC"`` → ``"AB"``."""
        position = {original: shown for shown, original in enumerate(self.order)}
        return "".join(sorted(LETTERS[position[self._index(letter)]] for letter in letters))

    def _index(self, letter: str) -> int:
        index = LETTERS.find(letter)
        if index < 0 or index >= len(self.order):
            raise ValueError(f"letter {letter!r} is not among {LETTERS[: len(self.order)]}")
        return index

    def _check(self, question: Question) -> None:
        if len(question.options) != len(self.order):
            raise ValueError(
                f"shuffle of {len(self.order)} options used for a question "
                f"with {len(question.options)}"
            )


def shuffle_options(question: Question, rng: random.Random) -> OptionShuffle:
    """A random presentation order for ``question``'s options.

    Options such as 「以上都对」 stay where they are; the others are shuffled
    among the remaining places. True/false and fill questions, which have no
    options, get the empty order.
    """
    pinned = [_is_pinned(option) for option in question.options]
    movable = [index for index, pin in enumerate(pinned) if not pin]
    shuffled = movable[:]
    rng.shuffle(shuffled)
    moved = iter(shuffled)
    return OptionShuffle(tuple(index if pin else next(moved) for index, pin in enumerate(pinned)))


def _is_pinned(option: str) -> bool:
    return _PINNED.fullmatch(unicodedata.normalize("NFKC", option).strip()) is not None
