"""Moodle GIFT banks, mapped onto the same question model.

Supported: multiple choice (``{=right ~wrong}``), multiple answers with
weights (``{~%50%a ~%50%b ~%-100%c}``: every positive weight is a right
option), true/false (``{T}``, ``{TRUE}``, ``{F}``, ``{FALSE}``), short answer
(``{=a =b}`` → fill; only full-credit answers count), the missing-word form
(text after the braces stays in the stem around a ``____`` blank), titles
``::…::``, ``[html]``-style markers, ``//`` comments, ``\\``-escapes, and
general feedback ``####…`` → 解析. ``$CATEGORY: a/b/c`` tags the following
questions with its last segment ``c``. Matching, numerical and essay
questions have no place in the model and are reported as errors.

Rows are the line numbers where questions start.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from quizzes.fields import OPTION_FIELDS, Field, RawRow
from quizzes.model import FILL_SEPARATOR, LETTERS, MAX_OPTIONS, QuestionType, RowError
from quizzes.readers.decode import decode_text

__all__ = ["TEXT_COLUMNS", "read_gift"]

# Plain-text formats have no header; errors name the Chinese columns.
TEXT_COLUMNS = {field: field.chinese for field in Field}

# Escaped specials are swapped for private-use characters while parsing.
_ESCAPES = {"\\\\": "\ue000", "\\~": "\ue001", "\\=": "\ue002", "\\#": "\ue003",
            "\\{": "\ue004", "\\}": "\ue005", "\\:": "\ue006"}  # fmt: skip
_RESTORE = {placeholder: escape[1] for escape, placeholder in _ESCAPES.items()}
_TITLE = re.compile(r"\s*::(.*?)::", re.DOTALL)
_MARKER = re.compile(r"\s*\[(html|moodle|plain|markdown)\]", re.IGNORECASE)
_TRUEFALSE = re.compile(r"(TRUE|FALSE|T|F)\s*(#.*)?", re.IGNORECASE | re.DOTALL)
_WEIGHT = re.compile(r"\s*%(-?[0-9]+(?:\.[0-9]+)?)%")
_ENTRY = re.compile(r"(?=[=~])")


def read_gift(data: bytes | str) -> tuple[list[RawRow], list[RowError]]:
    """Raw rows of a GIFT file, or located errors."""
    text = decode_text(data)
    if isinstance(text, RowError):
        return [], [text]
    rows: list[RawRow] = []
    errors: list[RowError] = []
    category = ""
    for first_line, block in _blocks(text):
        line_no, lines = first_line, block
        if lines[0].strip().upper().startswith("$CATEGORY:"):
            category = lines[0].split(":", 1)[1].strip().rstrip("/").rsplit("/", 1)[-1]
            line_no, lines = first_line + 1, lines[1:]
            if not lines:
                continue
        parsed = _question(line_no, "\n".join(lines), category)
        if isinstance(parsed, RowError):
            errors.append(parsed)
        else:
            rows.append(parsed)
    return rows, errors


def _blocks(text: str) -> Iterator[tuple[int, list[str]]]:
    current: list[str] = []
    start = 0
    for line_no, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("//"):
            continue
        if not stripped:
            if current:
                yield start, current
            current = []
            continue
        if not current:
            start = line_no
        current.append(line)
    if current:
        yield start, current


def _protect(text: str) -> str:
    for escape, placeholder in _ESCAPES.items():
        text = text.replace(escape, placeholder)
    return text


def _restore(text: str) -> str:
    text = text.replace("\\n", "\n")
    for placeholder, char in _RESTORE.items():
        text = text.replace(placeholder, char)
    return text


def _question(line_no: int, block: str, category: str) -> RawRow | RowError:
    def error(field: Field | None, message: str) -> RowError:
        return RowError(line_no, None if field is None else field.chinese, message)

    body = _protect(block)
    title = _TITLE.match(body)
    if title:
        body = body[title.end() :]
    opening = body.find("{")
    closing = body.find("}", opening + 1)
    if opening < 0 or closing < 0:
        return error(Field.ANSWER, "没有找到答案部分 {…}")
    before, inner, after = body[:opening], body[opening + 1 : closing], body[closing + 1 :]
    if "{" in inner or "{" in after or "}" in after or "}" in before:
        return error(Field.ANSWER, "一道题只能有一个答案部分 {…}；题目里的花括号请写成 \\{ \\}")
    before = _MARKER.sub("", before, count=1)
    stem = _restore(before).strip()
    if _restore(after).strip():
        stem = f"{_restore(before)}____{_restore(after)}".strip()
    values: dict[Field, str] = {Field.QUESTION: stem, Field.TAGS: category}

    inner, _, feedback = inner.partition("####")
    values[Field.EXPLANATION] = _restore(feedback).strip()
    inner = inner.strip()
    if not inner:
        return error(Field.TYPE, "不支持 GIFT 问答题（空的 {}）")
    if inner.startswith("#"):
        return error(Field.TYPE, "不支持 GIFT 数值题（{#…}）")
    truefalse = _TRUEFALSE.fullmatch(inner)
    if truefalse:
        values[Field.TYPE] = QuestionType.TRUEFALSE.value
        values[Field.ANSWER] = truefalse.group(1)
        return RawRow(line_no, values, TEXT_COLUMNS)
    if inner[0] not in "=~":
        return error(Field.ANSWER, "答案部分的每一项都应当以 = 或 ~ 开头")
    entries = [entry for entry in _ENTRY.split(inner) if entry]
    if any("->" in entry for entry in entries):
        return error(Field.TYPE, "不支持 GIFT 匹配题（->）")
    parsed = [_entry(entry) for entry in entries]
    if all(marker == "=" for marker, _, _ in parsed):
        values[Field.TYPE] = QuestionType.FILL.value
        accepted = [text for _, weight, text in parsed if weight is None or weight >= 100]
        values[Field.ANSWER] = FILL_SEPARATOR.join(accepted)
        return RawRow(line_no, values, TEXT_COLUMNS)
    if len(parsed) > MAX_OPTIONS:
        return error(
            Field.OPTION_F, f"最多支持 {MAX_OPTIONS} 个选项（A–F），这道题有 {len(parsed)} 个"
        )
    right = [
        LETTERS[i]
        for i, (marker, weight, _) in enumerate(parsed)
        if (marker == "=" and (weight is None or weight > 0)) or (weight is not None and weight > 0)
    ]
    values[Field.TYPE] = (QuestionType.SINGLE if len(right) == 1 else QuestionType.MULTIPLE).value
    values[Field.ANSWER] = "".join(right)
    for field, (_, _, text) in zip(OPTION_FIELDS, parsed, strict=False):
        values[field] = text
    return RawRow(line_no, values, TEXT_COLUMNS)


def _entry(entry: str) -> tuple[str, float | None, str]:
    marker, text = entry[0], entry[1:]
    weight = _WEIGHT.match(text)
    if weight:
        text = text[weight.end() :]
    text = text.split("#", 1)[0]
    return marker, float(weight.group(1)) if weight else None, _restore(text).strip()
