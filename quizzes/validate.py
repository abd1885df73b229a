"""Turn raw rows into questions, collecting every problem with its location.

Choices made here (see also the contract's "Quiz banks"):

* A multiple-choice question needs at least two right answers. In Chinese
  exams 多选题 means "two or more correct"; a single letter under 多选 is far
  more often a mislabelled 单选 than a deliberate trick.
* True/false and fill questions must leave the option columns empty, so a
  row filled in with the wrong 题型 is caught instead of silently dropping
  its options.
* A duplicate stem (compared without spaces, case or full-width
  differences) is reported once, on the later row, naming the first row it
  repeats: a file of thousands of copies gets one line per copy, not one per
  pair.
* Rows are validated as the reader produces them, so reading stops at the
  first row over ``limits.max_questions``; only the first
  ``limits.max_errors`` problems are kept (:class:`_ErrorLog`).
"""

from __future__ import annotations

import heapq
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping

from quizzes.fields import OPTION_FIELDS, Field, RawRow
from quizzes.limits import DEFAULT_LIMITS, Limits
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
MAX_ANSWER_CHARS = 500
"""Longer answers are never typed by a member, and do not fit storage."""


def parse_type(text: str) -> QuestionType | None:
    """``"单选"``, ``"Single"``, ``"多项选择题"``, ``"true_false"`` … → a type, else None."""
    key = _TYPE_NOISE.sub("", unicodedata.normalize("NFKC", text)).casefold()
    return _TYPE_WORDS.get(key)


def build_question(raw: RawRow, limits: Limits = DEFAULT_LIMITS) -> Question | list[RowError]:
    """Validate one raw row: a question, or every problem found in it."""
    errors: list[RowError] = []

    def fail(field: Field, message: str) -> None:
        errors.append(raw.error(field, message))

    for field, text in raw.values.items():
        if len(text) > limits.max_cell_chars:
            fail(field, f"内容有 {len(text)} 个字，超过每格 {limits.max_cell_chars} 个字的上限")
    if errors:
        return errors
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
    if len(text) > MAX_ANSWER_CHARS:
        fail(Field.ANSWER, f"答案有 {len(text)} 个字，最多 {MAX_ANSWER_CHARS} 个字")
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
    fmt: BankFormat, items: Iterable[RawRow | RowError], limits: Limits = DEFAULT_LIMITS
) -> LoadResult:
    """Validate rows as they are read; a bank when nothing is wrong, otherwise the errors.

    ``items`` are a reader's rows and problems in file order.
    """
    errors = _ErrorLog(limits.max_errors)
    questions: list[Question] = []
    first_row_by_stem: dict[str, int] = {}
    rows_read = 0
    for item in items:
        if isinstance(item, RowError):
            errors.add(item)
            continue
        rows_read += 1
        if rows_read > limits.max_questions:
            errors.add(item.error(None, f"题目超过 {limits.max_questions} 道的上限，从这一行起"
                                        "没有读取；请分成几个文件导入"))
            break
        built = build_question(item, limits)
        if isinstance(built, Question):
            questions.append(built)
        else:
            for error in built:
                errors.add(error)
        key = stem_key(item.get(Field.QUESTION))
        if key:
            first = first_row_by_stem.setdefault(key, item.row)
            if first != item.row:
                errors.add(item.error(Field.QUESTION, f"题目与第 {first} 行重复"))
    if not errors and not questions:
        errors.add(RowError(None, None, "文件里没有题目"))
    if errors:
        return LoadResult(bank=None, errors=errors.listed(), unlisted_errors=errors.unlisted)
    return LoadResult(bank=Bank(questions=tuple(questions), format=fmt))


class _ErrorLog:
    """The first ``keep`` problems in file order, and a count of all of them.

    File-level problems (no row) come first. A bounded heap keeps memory flat
    however many rows are wrong, and readers may report out of order.
    """

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._heap: list[tuple[int, int, RowError]] = []
        self._order = itertools.count()
        self.count = 0

    def __bool__(self) -> bool:
        return self.count > 0

    def add(self, error: RowError) -> None:
        self.count += 1
        position = -1 if error.row is None else error.row
        # Negated, so the heap's smallest entry is the latest problem: the one to drop.
        entry = (-position, -next(self._order), error)
        if len(self._heap) < self._keep:
            heapq.heappush(self._heap, entry)
        elif entry > self._heap[0]:
            heapq.heapreplace(self._heap, entry)

    def listed(self) -> tuple[RowError, ...]:
        return tuple(error for _, _, error in sorted(self._heap, reverse=True))

    @property
    def unlisted(self) -> int:
        return self.count - len(self._heap)
