"""Moodle Aiken banks: a stem, lettered options, then ``ANSWER: B``.

::

    中国共产党第一次全国代表大会在哪一年召开？
    A. 1919
    B) 1921
    C. 1927
    ANSWER: B

Options may be written ``A.``, ``A)``, ``A、``, ``A．`` or with full-width
letters and must run A, B, C … in order. Beyond Moodle's format, a stem may
span several lines, ``答案：`` may replace ``ANSWER:``, and several letters
(``ANSWER: AC``) make a multiple-choice question. Rows are the line numbers
where questions start.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from quizzes.fields import OPTION_FIELDS, Field, RawRow
from quizzes.model import LETTERS, MAX_OPTIONS, QuestionType, RowError
from quizzes.normalize import parse_letters
from quizzes.readers.decode import decode_text
from quizzes.readers.gift_reader import TEXT_COLUMNS

__all__ = ["read_aiken"]

_ANSWER = re.compile(r"(?:ANSWER|答案)\s*[:：]\s*(.*)", re.IGNORECASE)
_OPTION = re.compile(r"([A-Za-z])\s*[.)、．）]\s*(.*)")


@dataclass(slots=True)
class _Pending:
    line_no: int
    stem: list[str] = field(default_factory=list)
    options: list[str] = field(default_factory=list)


def read_aiken(data: bytes | str) -> tuple[list[RawRow], list[RowError]]:
    """Raw rows of an Aiken file, or located errors."""
    text = decode_text(data)
    if isinstance(text, RowError):
        return [], [text]
    parser = _Parser()
    for line_no, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            parser.feed(line_no, line.strip())
    parser.close()
    return parser.rows, parser.errors


class _Parser:
    def __init__(self) -> None:
        self.rows: list[RawRow] = []
        self.errors: list[RowError] = []
        self.pending: _Pending | None = None

    def feed(self, line_no: int, line: str) -> None:
        folded = unicodedata.normalize("NFKC", line)
        answer = _ANSWER.fullmatch(folded)
        option = _OPTION.fullmatch(folded)
        pending = self.pending
        if answer:
            self._answer(line_no, answer.group(1))
        elif pending is None:
            self.pending = _Pending(line_no, [line])
        elif pending.options:
            self._after_option(line_no, line, option)
        elif option and option.group(1).upper() == "A":
            pending.options.append(option.group(2).strip())
        else:
            pending.stem.append(line)

    def close(self) -> None:
        if self.pending is not None:
            self.errors.append(_missing_answer(self.pending))
        self.pending = None

    def _answer(self, line_no: int, answer: str) -> None:
        if self.pending is None or not self.pending.options:
            message = "ANSWER 行前面缺少题目和选项"
            self.errors.append(RowError(line_no, Field.ANSWER.chinese, message))
        else:
            self.rows.append(_finish(self.pending, answer))
        self.pending = None

    def _after_option(self, line_no: int, line: str, option: re.Match[str] | None) -> None:
        assert self.pending is not None
        options = self.pending.options
        expected = LETTERS[len(options)] if len(options) < MAX_OPTIONS else ""
        if option and option.group(1).upper() == expected:
            options.append(option.group(2).strip())
        elif option:
            message = f"选项应当按 A、B、C… 的顺序排列，这里应当是 {expected or 'ANSWER 行'}"
            column = OPTION_FIELDS[min(len(options), MAX_OPTIONS - 1)].chinese
            self.errors.append(RowError(line_no, column, message))
            self.pending = None
        else:
            self.errors.append(_missing_answer(self.pending))
            self.pending = _Pending(line_no, [line])


def _missing_answer(pending: _Pending) -> RowError:
    if not pending.options:
        return RowError(pending.line_no, OPTION_FIELDS[0].chinese, "题目后面缺少 A. B. … 选项")
    return RowError(pending.line_no, Field.ANSWER.chinese, "选项后面缺少 ANSWER: 行")


def _finish(pending: _Pending, answer: str) -> RawRow:
    letters = parse_letters(answer) or ""
    qtype = QuestionType.MULTIPLE if len(letters) > 1 else QuestionType.SINGLE
    values = {
        Field.TYPE: qtype.value,
        Field.QUESTION: "\n".join(pending.stem),
        Field.ANSWER: answer,
        **dict(zip(OPTION_FIELDS, pending.options, strict=False)),
    }
    return RawRow(pending.line_no, values, TEXT_COLUMNS)
