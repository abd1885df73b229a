"""Turn raw rows into questions, collecting every problem with its location.

Choices made here (see also the contract's "Quiz banks"):

* A multiple-choice question needs at least two right answers. In Chinese
  exams 多选题 means "two or more correct"; a single letter under 多选 is far
  more often a mislabelled 单选 than a deliberate trick.
* True/false and fill questions must leave the option columns empty, so a
  row filled in with the wrong 题型 is caught instead of silently dropping
  its options.
* Duplicate stems (compared without spaces, case or full-width differences)
  are reported on every row involved, each naming the others.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from quizzes.fields import OPTION_FIELDS, Field, RawRow
from quizzes.model import (
    FILL_SEPARATOR,
    LETTERS,
    Bank,
    BankFormat,
    LoadResult,
    Question,
    QuestionType,
    RowError,
)
from quizzes.normalize import (
    parse_letters,
    parse_truefalse,
    split_alternatives,
    split_tags,
    stem_key,
)

__all__ = ["assemble", "build_question", "parse_type"]

_TYPE_WORDS: Mapping[str, QuestionType] = {
    **dict.fromkeys(("单选", "单选题", "单项选择", "单项选择题", "single"), QuestionType.SINGLE),
    **dict.fromkeys(
        ("多选", "多选题", "多项选择", "多项选择题", "multiple"), QuestionType.MULTIPLE
    ),
    **dict.fromkeys(("判断", "判断题", "truefalse"), QuestionType.TRUEFALSE),
    **dict.fromkeys(("填空", "填空题", "fill"), QuestionType.FILL),
}
_TYPE_NOISE = re.compile(r"[\s_\-/]+")
_DIGITS = re.compile(r"[0-9]+")

_Fail = Callable[[Field, str], None]

MSG_TYPE = "题型必须是 单选、多选、判断 或 填空"
MSG_STEM_EMPTY = "题目不能为空"
MSG_ANSWER_EMPTY = "答案不能为空"
MSG_ANSWER_LETTERS = "答案必须是选项字母，例如 B 或 ACD"
MSG_TRUEFALSE = "判断题的答案必须是 对 或 错（也可以写 正确/错误、true/false、T/F、√/×）"
MSG_FILL_EMPTY = "填空题至少要有一个答案，多个可接受的答案用 | 分隔"
MSG_DIFFICULTY = "难度必须是 1 到 5 的整数"


def parse_type(text: str) -> QuestionType | None:
    """``"单选"``, ``"Single"``, ``"多项选择题"``, ``"true_false"`` … → a type, else None."""
    key = _TYPE_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _TYPE_WORDS.get(key)


def build_question(raw: RawRow) -> Question | list[RowError]:
    """Validate one raw row: a question, or every problem found in it."""
    errors: list[RowError] = []

    def fail(field: Field, message: str) -> None:
        errors.append(RowError(raw.row, raw.column(field), message))

    qtype = parse_type(raw.get(Field.TYPE))
    if qtype is None:
        fail(Field.TYPE, MSG_TYPE)
    stem = raw.get(Field.QUESTION).strip()
    if not stem:
        fail(Field.QUESTION, MSG_STEM_EMPTY)
    options = _options(raw, qtype, fail)
    answer = _answer(raw, qtype, len(options), fail)
    difficulty = _difficulty(raw.get(Field.DIFFICULTY), fail)

    if errors or qtype is None or answer is None:
        return errors
    return Question(
        type=qtype,
        stem=stem,
        answer=answer,
        options=options,
        explanation=raw.get(Field.EXPLANATION).strip(),
        difficulty=difficulty,
        tags=split_tags(raw.get(Field.TAGS)),
    )


def _options(raw: RawRow, qtype: QuestionType | None, fail: _Fail) -> tuple[str, ...]:
    cells = [raw.get(field).strip() for field in OPTION_FIELDS]
    filled = [i for i, cell in enumerate(cells) if cell]
    count = filled[-1] + 1 if filled else 0
    if qtype is not None and not qtype.is_choice:
        if filled:
            fail(OPTION_FIELDS[filled[0]], f"{qtype.label}题不需要填写选项")
        return ()
    for i in range(count):
        if not cells[i]:
            later = raw.column(OPTION_FIELDS[count - 1])
            fail(OPTION_FIELDS[i], f"{raw.column(OPTION_FIELDS[i])} 为空，但后面的 {later} 有内容")
    if qtype is not None and count < 2:
        fail(OPTION_FIELDS[count], f"{qtype.label}题至少需要 2 个选项")
    return tuple(cells[:count])


def _answer(raw: RawRow, qtype: QuestionType | None, option_count: int, fail: _Fail) -> str | None:
    text = raw.get(Field.ANSWER).strip()
    if not text:
        fail(Field.ANSWER, MSG_FILL_EMPTY if qtype is QuestionType.FILL else MSG_ANSWER_EMPTY)
        return None
    if qtype is None:
        return None
    if qtype is QuestionType.TRUEFALSE:
        answer = parse_truefalse(text)
        if answer is None:
            fail(Field.ANSWER, MSG_TRUEFALSE)
        return answer
    if qtype is QuestionType.FILL:
        alternatives = split_alternatives(text)
        if not alternatives:
            fail(Field.ANSWER, MSG_FILL_EMPTY)
            return None
        return FILL_SEPARATOR.join(alternatives)
    letters = parse_letters(text)
    if letters is None:
        fail(Field.ANSWER, MSG_ANSWER_LETTERS)
        return None
    ok = True
    for letter in letters:
        if letter not in LETTERS[:option_count]:
            fail(Field.ANSWER, f"答案 {letter} 没有对应的选项")
            ok = False
    if qtype is QuestionType.SINGLE and len(letters) > 1:
        fail(Field.ANSWER, f"单选题只能有一个答案，这里填了 {letters}；多个答案请把题型改为 多选")
        ok = False
    if qtype is QuestionType.MULTIPLE and len(letters) < 2:
        fail(Field.ANSWER, "多选题至少要有 2 个正确答案；只有一个正确答案请把题型改为 单选")
        ok = False
    return letters if ok else None


def _difficulty(text: str, fail: _Fail) -> int | None:
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if _DIGITS.fullmatch(text) and 1 <= int(text) <= 5:
        return int(text)
    fail(Field.DIFFICULTY, MSG_DIFFICULTY)
    return None


def assemble(
    fmt: BankFormat, rows: Iterable[RawRow], file_errors: Iterable[RowError] = ()
) -> LoadResult:
    """Validate every row; a bank when nothing is wrong, otherwise all the errors."""
    errors = list(file_errors)
    questions: list[Question] = []
    rows_by_stem: dict[str, list[RawRow]] = {}
    for raw in rows:
        built = build_question(raw)
        if isinstance(built, Question):
            questions.append(built)
        else:
            errors.extend(built)
        key = stem_key(raw.get(Field.QUESTION))
        if key:
            rows_by_stem.setdefault(key, []).append(raw)
    for same in rows_by_stem.values():
        if len(same) > 1:
            for raw in same:
                others = "、".join(str(other.row) for other in same if other is not raw)
                errors.append(
                    RowError(raw.row, raw.column(Field.QUESTION), f"题目与第 {others} 行重复")
                )
    if not errors and not questions:
        errors.append(RowError(None, None, "文件里没有题目"))
    if errors:
        errors.sort(key=lambda e: -1 if e.row is None else e.row)
        return LoadResult(bank=None, errors=tuple(errors))
    return LoadResult(bank=Bank(questions=tuple(questions), format=fmt))
