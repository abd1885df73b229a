"""Drawing papers: reproducible, no repeats, filtered, clear when short."""

from __future__ import annotations

import random

import pytest

from quizzes import (
    Bank,
    BankFormat,
    DrawError,
    NotEnoughQuestionsError,
    Question,
    QuestionType,
    draw_paper,
)


def make_bank(size: int = 40) -> Bank:
    questions = []
    for n in range(size):
        tags = ("党史",) if n % 2 else ("党章", "纪律建设")
        difficulty = None if n % 5 == 0 else n % 5
        if n % 3:
            question = Question(
                QuestionType.SINGLE,
                f"第 {n} 题",
                "A",
                options=("甲", "乙"),
                tags=tags,
                difficulty=difficulty,
            )
        else:
            question = Question(
                QuestionType.TRUEFALSE, f"第 {n} 题", "对", tags=tags, difficulty=difficulty
            )
        questions.append(question)
    return Bank(tuple(questions), BankFormat.CSV)


BANK = make_bank()


def test_same_seed_same_paper() -> None:
    first = draw_paper(BANK, 10, random.Random(2024))
    second = draw_paper(BANK, 10, random.Random(2024))

    assert first == second


def test_different_seeds_differ() -> None:
    papers = {draw_paper(BANK, 10, random.Random(seed)).questions for seed in range(5)}

    assert len(papers) == 5


def test_only_the_passed_rng_is_used() -> None:
    random.seed(1)
    first = draw_paper(BANK, 10, random.Random(7))
    random.seed(2)
    second = draw_paper(BANK, 10, random.Random(7))

    assert first == second


@pytest.mark.parametrize("seed", range(20))
def test_no_repeats_and_drawn_from_the_bank(seed: int) -> None:
    paper = draw_paper(BANK, len(BANK), random.Random(seed))

    assert len({q.stem for q in paper}) == len(BANK) == len(paper)
    assert set(paper) == set(BANK)


def test_equal_questions_given_twice_count_once() -> None:
    questions = list(BANK.questions[:3]) * 2

    with pytest.raises(NotEnoughQuestionsError):
        draw_paper(questions, 4, random.Random(0))
    assert len(set(draw_paper(questions, 3, random.Random(0)))) == 3


def test_filter_by_tags_any_of() -> None:
    paper = draw_paper(BANK, 20, random.Random(1), tags=["纪律建设", "不存在"])

    assert all("纪律建设" in q.tags for q in paper)


def test_a_single_tag_string_is_one_tag() -> None:
    paper = draw_paper(BANK, 20, random.Random(1), tags="党史")

    assert all(q.tags == ("党史",) for q in paper)
    with pytest.raises(NotEnoughQuestionsError):
        draw_paper(BANK, 1, random.Random(1), tags="党")


def test_filter_by_difficulty_level_or_range() -> None:
    exact = draw_paper(BANK, 8, random.Random(1), difficulty=3)
    ranged = draw_paper(BANK, 16, random.Random(1), difficulty=range(1, 3))

    assert {q.difficulty for q in exact} == {3}
    assert {q.difficulty for q in ranged} == {1, 2}


def test_filter_by_type_and_combined_filters() -> None:
    paper = draw_paper(
        BANK, 2, random.Random(1), types=[QuestionType.TRUEFALSE], tags="党史", difficulty=3
    )

    assert all(
        q.type is QuestionType.TRUEFALSE and q.difficulty == 3 and "党史" in q.tags for q in paper
    )


def test_not_enough_questions_says_how_many() -> None:
    with pytest.raises(NotEnoughQuestionsError) as caught:
        draw_paper(BANK, 9, random.Random(0), difficulty=4)

    assert (caught.value.requested, caught.value.available) == (9, 8)
    assert str(caught.value) == "符合条件的题目只有 8 道，不够抽取 9 道"
    assert isinstance(caught.value, DrawError)


@pytest.mark.parametrize("count", [0, -1])
def test_count_must_be_positive(count: int) -> None:
    with pytest.raises(ValueError, match="count"):
        draw_paper(BANK, count, random.Random(0))
