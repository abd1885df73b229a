"""Drawing a paper: a reproducible random choice of questions.

Randomness comes only from the :class:`random.Random` passed in, so the
same seed and the same question order always give the same paper.
"""

from __future__ import annotations

import random
from collections.abc import Container, Iterable

from quizzes.errors import NotEnoughQuestionsError
from quizzes.model import Paper, Question, QuestionType

__all__ = ["draw_paper"]


def draw_paper(
    questions: Iterable[Question],
    count: int,
    rng: random.Random,
    *,
    tags: str | Iterable[str] | None = None,
    difficulty: int | Container[int] | None = None,
    types: Iterable[QuestionType] | None = None,
) -> Paper:
    """Draw ``count`` different questions at random.

    ``questions`` may be a :class:`~quizzes.Bank`. Filters narrow the pool
    first: ``tags`` keeps questions carrying *any* of the tags (a single
    string is one tag); ``difficulty`` is one level or a container such as
    ``range(1, 3)``, and excludes questions without a difficulty; ``types``
    keeps only those question types. Equal questions count once.

    Raises :class:`~quizzes.NotEnoughQuestionsError` when fewer than
    ``count`` questions remain, and ``ValueError`` when ``count`` < 1.
    """
    if count < 1:
        raise ValueError(f"count must be at least 1, not {count}")
    wanted_tags = None if tags is None else frozenset([tags] if isinstance(tags, str) else tags)
    levels: Container[int] | None = (
        frozenset([difficulty]) if isinstance(difficulty, int) else difficulty
    )
    wanted_types = None if types is None else frozenset(types)
    pool = [
        q
        for q in dict.fromkeys(questions)
        if (wanted_tags is None or not wanted_tags.isdisjoint(q.tags))
        and (levels is None or (q.difficulty is not None and q.difficulty in levels))
        and (wanted_types is None or q.type in wanted_types)
    ]
    if len(pool) < count:
        raise NotEnoughQuestionsError(requested=count, available=len(pool))
    return Paper(questions=tuple(rng.sample(pool, count)))
