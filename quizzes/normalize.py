"""Text normalisation shared by the loaders and by grading.

Admins type answers into Excel and members type them into WeChat on Chinese
phone keyboards, so full-width letters (``Ａ``), Chinese separators (``、``,
``，``) and check marks (``√``) must mean the same as their ASCII forms.
NFKC folds the full-width forms; the rest is spelled out below.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from quizzes.model import FALSE_ANSWER, FILL_SEPARATOR, TRUE_ANSWER

__all__ = [
    "cell_text",
    "fill_key",
    "parse_letters",
    "parse_truefalse",
    "split_alternatives",
    "split_tags",
    "stem_key",
]

# Characters members and admins put between letters: "A,C", "A、C", "A C", "A/C".
_LETTER_SEPARATORS = re.compile(r"[\s,、;/|.。+&和]+")
_WHITESPACE = re.compile(r"\s+")
# Stripped from both ends of a fill answer: sentence punctuation, quotes and
# title marks that members add ("《共产党宣言》。") but that do not change the answer.
_FILL_EDGE = "。.!！?？,，、;；:：\"'“”‘’「」『』《》〈〉()（）[]【】 "

_TRUE_SPELLINGS = frozenset(
    {"对", "對", "正确", "正確", "true", "t", "√", "✓", "✔", "是", "yes", "y"}
)
_FALSE_SPELLINGS = frozenset(
    {"错", "錯", "错误", "錯誤", "false", "f", "×", "✗", "✘", "否", "no", "n"}
)


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def parse_letters(text: str) -> str | None:
    """``"a、Ｃ"`` → ``"AC"``: sorted, unique upper-case letters, or None if not letters."""
    compact = _LETTER_SEPARATORS.sub("", _nfkc(text).upper())
    if not compact or not all("A" <= ch <= "Z" for ch in compact):
        return None
    return "".join(sorted(set(compact)))


def parse_truefalse(text: str) -> str | None:
    """``"正确"``, ``"T"``, ``"√"`` … → ``"对"``; the false spellings → ``"错"``; else None."""
    key = _nfkc(text).strip().strip("。.!！").strip().casefold()
    if key in _TRUE_SPELLINGS:
        return TRUE_ANSWER
    if key in _FALSE_SPELLINGS:
        return FALSE_ANSWER
    return None


def split_alternatives(text: str) -> tuple[str, ...]:
    """Fill answers ``"南湖 | 嘉兴南湖|"`` → ``("南湖", "嘉兴南湖")``: trimmed, empties dropped."""
    parts = (part.strip() for part in text.replace("｜", FILL_SEPARATOR).split(FILL_SEPARATOR))
    return tuple(dict.fromkeys(part for part in parts if part))


def split_tags(text: str) -> tuple[str, ...]:
    """Tags ``"党史; 党章；"`` → ``("党史", "党章")``: trimmed, empties and repeats dropped."""
    parts = (part.strip() for part in text.replace("；", ";").split(";"))
    return tuple(dict.fromkeys(part for part in parts if part))


def fill_key(text: str) -> str:
    """The form fill answers are compared in.

    Full-width folded, case-insensitive, all whitespace removed (spaces carry
    no meaning in a Chinese blank) and punctuation trimmed from both ends.
    """
    return _WHITESPACE.sub("", _nfkc(text).casefold()).strip(_FILL_EDGE)


def stem_key(text: str) -> str:
    """The form stems are compared in to find duplicates within a file."""
    return _WHITESPACE.sub("", _nfkc(text).casefold())


def cell_text(value: object) -> str:
    """A spreadsheet or JSON cell as text: ``None`` → ``""``, ``3.0`` → ``"3"``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        # Excel turns a typed TRUE/FALSE into a boolean cell.
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()
