"""The columns of a bank file and how header cells are recognised.

Headers may be Chinese or English (contract, "Quiz banks"). Recognition
ignores surrounding and inner spaces, ``_`` and ``-``, letter case and
full-width forms, so ``" Option_A "``, ``"option a"`` and ``"选项Ａ"`` all work.
Besides the contract's names, the headers other question-bank tools and
exam systems commonly use are accepted (:data:`HEADER_SYNONYMS`: 题干,
正确答案, 答案解析, 题目类型, a bare ``A`` for 选项A …). Columns whose header
is not recognised (``序号``, ``备注``, ``分值`` …) are ignored: real banks often
carry such bookkeeping columns. ``分值`` (points) is not 难度 (difficulty).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from quizzes.model import LETTERS, MAX_OPTIONS, RowError

__all__ = [
    "CHINESE_HEADERS",
    "HEADER_SYNONYMS",
    "OPTION_FIELDS",
    "REQUIRED_FIELDS",
    "Field",
    "RawRow",
    "accepted_headers",
    "header_field",
    "is_chinese_header",
]


class Field(enum.StrEnum):
    """A column of the bank; the value is the English header (and JSON key)."""

    TYPE = "type"
    QUESTION = "question"
    OPTION_A = "option_a"
    OPTION_B = "option_b"
    OPTION_C = "option_c"
    OPTION_D = "option_d"
    OPTION_E = "option_e"
    OPTION_F = "option_f"
    ANSWER = "answer"
    EXPLANATION = "explanation"
    DIFFICULTY = "difficulty"
    TAGS = "tags"

    @property
    def chinese(self) -> str:
        """The Chinese header, e.g. ``选项A``."""
        return CHINESE_HEADERS[self]


OPTION_FIELDS: tuple[Field, ...] = (
    Field.OPTION_A,
    Field.OPTION_B,
    Field.OPTION_C,
    Field.OPTION_D,
    Field.OPTION_E,
    Field.OPTION_F,
)
assert len(OPTION_FIELDS) == MAX_OPTIONS

REQUIRED_FIELDS: tuple[Field, ...] = (Field.TYPE, Field.QUESTION, Field.ANSWER)

CHINESE_HEADERS: Mapping[Field, str] = {
    Field.TYPE: "题型",
    Field.QUESTION: "题目",
    **{field: f"选项{letter}" for field, letter in zip(OPTION_FIELDS, LETTERS, strict=True)},
    Field.ANSWER: "答案",
    Field.EXPLANATION: "解析",
    Field.DIFFICULTY: "难度",
    Field.TAGS: "标签",
}

HEADER_SYNONYMS: Mapping[Field, tuple[str, ...]] = {
    Field.TYPE: ("题目类型", "试题类型", "题型名称", "类型", "题类"),
    Field.QUESTION: ("题干", "试题", "题目内容", "试题内容", "题目名称", "问题", "stem"),
    **{
        field: (letter, f"{letter}选项", f"选项{letter}内容", f"option{letter}")
        for field, letter in zip(OPTION_FIELDS, LETTERS, strict=True)
    },
    Field.ANSWER: ("正确答案", "参考答案", "标准答案", "答案选项", "correct", "correct_answer"),
    Field.EXPLANATION: ("答案解析", "试题解析", "题目解析", "解释", "说明", "analysis"),
    Field.DIFFICULTY: ("难易度", "难易程度", "难度等级", "难度系数", "level"),
    Field.TAGS: ("标签", "知识点", "分类", "tag"),
}
"""Other names accepted for each column, beyond its Chinese and English headers."""

_IGNORED_IN_HEADERS = re.compile(r"[\s_\-]+")


def _header_key(text: str) -> str:
    return _IGNORED_IN_HEADERS.sub("", unicodedata.normalize("NFKC", text)).casefold()


_BY_HEADER: Mapping[str, Field] = {
    **{_header_key(name): field for field, names in HEADER_SYNONYMS.items() for name in names},
    **{_header_key(field.value): field for field in Field},
    **{_header_key(name): field for field, name in CHINESE_HEADERS.items()},
}


def header_field(text: str) -> Field | None:
    """The field a header cell names, or None when it is not one of ours."""
    return _BY_HEADER.get(_header_key(text))


def accepted_headers(field: Field) -> tuple[str, ...]:
    """Every header recognised as ``field``, the contract's names first."""
    return (field.chinese, *HEADER_SYNONYMS[field], field.value)


def is_chinese_header(text: str) -> bool:
    """True when a recognised header is written in Chinese."""
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


@dataclass(frozen=True, slots=True)
class RawRow:
    """One question as read from a file, before validation.

    ``values`` holds the cell texts by field (missing fields are absent);
    ``columns`` names each field as the file's author wrote it, for messages;
    ``sheet`` names the worksheet of an XLSX file.
    """

    row: int
    values: Mapping[Field, str]
    columns: Mapping[Field, str]
    sheet: str | None = None

    def get(self, field: Field) -> str:
        """The cell text of ``field``, ``""`` when absent."""
        return self.values.get(field, "")

    def column(self, field: Field) -> str:
        """How to name ``field`` in an error message for this row."""
        return self.columns.get(field, field.chinese)

    def error(self, field: Field | None, message: str) -> RowError:
        """A problem located at this row and, unless ``None``, at ``field``'s column."""
        return RowError(self.row, None if field is None else self.column(field), message,
                        self.sheet)
