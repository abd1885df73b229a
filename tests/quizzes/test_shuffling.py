"""Per-attempt option shuffling and the mapping between shown and bank letters."""

from __future__ import annotations

import random

import pytest

from quizzes import OptionShuffle, Question, QuestionType, shuffle_options

FOUR = Question(QuestionType.MULTIPLE, "题干", "AC", options=("甲", "乙", "丙", "丁"))


def test_round_trip_for_every_subset_and_many_seeds() -> None:
    subsets = ["A", "B", "C", "D", "AC", "BD", "ABC", "ABCD"]
    for seed in range(50):
        shuffle = shuffle_options(FOUR, random.Random(seed))
        for letters in subsets:
            assert shuffle.to_original(shuffle.to_presented(letters)) == letters
            assert shuffle.to_presented(shuffle.to_original(letters)) == letters


def test_presented_letters_point_at_the_same_texts() -> None:
    shuffle = shuffle_options(FOUR, random.Random(3))
    shown = shuffle.present(FOUR)

    for position, text in enumerate(shown):
        presented_letter = "ABCD"[position]
        original_letter = shuffle.to_original(presented_letter)
        assert FOUR.options["ABCD".index(original_letter)] == text


def test_same_seed_same_order_and_orders_vary() -> None:
    orders = {shuffle_options(FOUR, random.Random(seed)).letters for seed in range(40)}

    assert shuffle_options(FOUR, random.Random(9)) == shuffle_options(FOUR, random.Random(9))
    assert len(orders) > 10


def test_letters_round_trip_for_storage() -> None:
    shuffle = OptionShuffle.from_letters("CADB")

    assert shuffle.order == (2, 0, 3, 1)
    assert shuffle.letters == "CADB"
    assert shuffle.present(FOUR) == ("丙", "甲", "丁", "乙")
    assert shuffle.to_presented("AC") == "AB"
    assert shuffle.to_original("AB") == "AC"


@pytest.mark.parametrize(
    "pinned", ["以上都对", "以上选项都正确", "上述都不是", "All of the above", "none of the above"]
)
def test_all_of_the_above_keeps_its_place(pinned: str) -> None:
    question = Question(QuestionType.SINGLE, "题干", "D", options=("甲", "乙", "丙", pinned, "戊"))
    orders = {shuffle_options(question, random.Random(seed)).order for seed in range(30)}

    assert all(order[3] == 3 for order in orders)
    assert len(orders) > 1


def test_options_merely_starting_with_a_phrase_are_not_pinned() -> None:
    question = Question(
        QuestionType.SINGLE, "题干", "A", options=("以上级党组织的决定为准执行", "乙", "丙")
    )
    firsts = {shuffle_options(question, random.Random(seed)).order[0] for seed in range(30)}

    assert firsts == {0, 1, 2}


def test_questions_without_options_get_the_empty_order() -> None:
    question = Question(QuestionType.TRUEFALSE, "题干", "对")

    assert shuffle_options(question, random.Random(0)) == OptionShuffle(())


@pytest.mark.parametrize("order", [(0, 0), (1, 2), (0, 2, 1, 4)])
def test_order_must_be_a_permutation(order: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="permutation"):
        OptionShuffle(order)


def test_letters_outside_the_shuffle_are_refused() -> None:
    with pytest.raises(ValueError, match="not among"):
        OptionShuffle.identity(2).to_original("C")


def test_present_checks_the_question() -> None:
    with pytest.raises(ValueError, match="options"):
        OptionShuffle.identity(3).present(FOUR)
