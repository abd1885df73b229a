"""Properties: loaders and grading never raise on anything a user can send."""

from __future__ import annotations

import csv
import io
import random
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import quizzes
from quizzes import BankFormat, OptionShuffle, Question, QuestionType
from tests.quizzes.files import build_xlsx
from tests.quizzes.test_grading import FILL, MULTIPLE, SINGLE, TRUE

QUESTIONS = [SINGLE, MULTIPLE, TRUE, FILL]
HEADER = ["题型", "题目", "选项A", "选项B", "选项C", "答案", "难度", "标签"]
CELL_WORDS = ["单选", "多选", "判断", "填空", "A", "AC", "对", "3", "", "甲|乙", "E"]
cell_text = st.one_of(st.sampled_from(CELL_WORDS), st.text(max_size=12))
# Control characters cannot be stored in a worksheet at all, and openpyxl
# stores "=…" as a formula without a cached value (Excel would compute one).
sheet_text = st.one_of(
    st.sampled_from(CELL_WORDS),
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=12).filter(
        lambda text: not text.startswith("=")
    ),
)


def check_result(result: quizzes.LoadResult, data_rows: int | None = None) -> None:
    assert result.ok != bool(result.errors)
    for error in result.errors:
        assert error.message
        if data_rows is not None and error.row is not None:
            assert 1 <= error.row <= data_rows + 1


@settings(max_examples=150)
@given(data=st.binary(max_size=400), fmt=st.sampled_from(list(BankFormat)))
def test_loaders_never_raise_on_arbitrary_bytes(data: bytes, fmt: BankFormat) -> None:
    check_result(quizzes.load_bank(data, "upload", format=fmt))


@settings(max_examples=150)
@given(text=st.text(max_size=300), fmt=st.sampled_from(["csv", "json", "gift", "aiken"]))
def test_text_loaders_never_raise_on_arbitrary_text(text: str, fmt: str) -> None:
    check_result(quizzes.load_bank(text.encode("utf-8", "surrogatepass"), "x", format=fmt))


@settings(max_examples=100)
@given(rows=st.lists(st.lists(cell_text, min_size=len(HEADER), max_size=len(HEADER)), max_size=8))
def test_csv_rows_load_or_report_located_errors(rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])

    result = quizzes.load_csv(out.getvalue())

    check_result(result, data_rows=len(rows))
    if result.bank is not None:
        assert len(result.bank) <= len(rows)


@settings(max_examples=25, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(sheet_text, min_size=len(HEADER), max_size=len(HEADER)), max_size=4))
def test_xlsx_rows_load_like_csv(rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out).writerows([HEADER, *rows])

    from_xlsx = quizzes.load_xlsx(build_xlsx([HEADER, *rows]))
    from_csv = quizzes.load_csv(out.getvalue())

    # The same problems; XLSX ones also name their sheet.
    assert [replace(e, sheet=None) for e in from_xlsx.errors] == list(from_csv.errors)
    assert (from_xlsx.bank is None) == (from_csv.bank is None)
    if from_xlsx.bank is not None and from_csv.bank is not None:
        assert from_xlsx.bank.questions == from_csv.bank.questions


@given(question=st.sampled_from(QUESTIONS), raw=st.text(max_size=30))
def test_grading_never_raises_and_agrees_with_parsing(question: Question, raw: str) -> None:
    result = quizzes.grade(question, raw)
    parsed = quizzes.parse_answer(question, raw)

    assert result.well_formed == parsed.ok
    assert not (result.correct and not result.well_formed)


@given(seed=st.integers(), letters=st.sets(st.sampled_from("ABCD"), min_size=1))
def test_shuffled_grading_accepts_exactly_the_mapped_answer(seed: int, letters: set[str]) -> None:
    shuffle = quizzes.shuffle_options(MULTIPLE, random.Random(seed))
    shown_right = shuffle.to_presented(MULTIPLE.answer)
    answer = "".join(sorted(letters))

    assert quizzes.grade(MULTIPLE, shown_right, shuffle=shuffle).correct
    assert quizzes.grade(MULTIPLE, answer, shuffle=shuffle).correct == (answer == shown_right)


@given(order=st.permutations(list(range(6))), letters=st.sets(st.sampled_from("ABCDEF")))
def test_shuffle_mapping_round_trips(order: list[int], letters: set[str]) -> None:
    shuffle = OptionShuffle(tuple(order))
    answer = "".join(sorted(letters))

    assert shuffle.to_original(shuffle.to_presented(answer)) == answer
    assert OptionShuffle.from_letters(shuffle.letters) == shuffle


@given(seed=st.integers(), count=st.integers(min_value=1, max_value=12))
def test_drawn_papers_never_repeat(seed: int, count: int) -> None:
    bank = [
        Question(QuestionType.TRUEFALSE, f"题目 {n}", "对" if n % 2 else "错") for n in range(12)
    ]

    paper = quizzes.draw_paper(bank, count, random.Random(seed))

    assert len(set(paper)) == count
    assert paper == quizzes.draw_paper(bank, count, random.Random(seed))
