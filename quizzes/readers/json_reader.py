"""JSON banks: a list of objects keyed like the header row (English or Chinese).

Row numbers read like a spreadsheet's: the n-th object is row n + 1, so a
bank exported from Excel to JSON reports problems at the same numbers.
Besides text and numbers, ``answer`` and ``tags`` may be lists of strings
(``["A", "C"]``, ``["党史", "党章"]``).
"""

from __future__ import annotations

import json
from collections.abc import Generator

from quizzes.fields import Field, RawRow, header_field
from quizzes.model import FILL_SEPARATOR, RowError
from quizzes.normalize import cell_text
from quizzes.readers.decode import decode_text

__all__ = ["read_json"]

_LIST_JOINERS = {Field.ANSWER: FILL_SEPARATOR, Field.TAGS: ";"}


def read_json(data: bytes | str) -> Generator[RawRow | RowError, None, None]:
    """Raw rows of a JSON bank and located errors, in file order."""
    text = decode_text(data)
    if isinstance(text, RowError):
        yield text
        return
    try:
        document = json.loads(text)
    # ValueError also covers integers too long to convert (Python 3.11 limit).
    except (ValueError, RecursionError) as exc:
        where = (
            f"第 {exc.lineno} 行第 {exc.colno} 列" if isinstance(exc, json.JSONDecodeError) else ""
        )
        yield RowError(None, None, f"JSON 格式有误{where}")
        return
    if not isinstance(document, list):
        yield RowError(None, None, 'JSON 题库应当是一个列表：[{"type": …}, …]')
        return
    for number, item in enumerate(document, start=2):
        if not isinstance(item, dict):
            yield RowError(number, None, "每道题必须是一个 JSON 对象")
            continue
        errors: list[RowError] = []
        row = _read_object(number, item, errors)
        yield from errors
        if row is not None:
            yield row


def _read_object(number: int, item: dict[object, object], errors: list[RowError]) -> RawRow | None:
    values: dict[Field, str] = {}
    columns: dict[Field, str] = {}
    ok = True
    for key, value in item.items():
        field = header_field(key) if isinstance(key, str) else None
        if field is None:
            continue
        name = str(key)
        if field in columns:
            errors.append(RowError(number, name, f"与「{columns[field]}」重复"))
            ok = False
            continue
        columns[field] = name
        text = _value_text(field, value)
        if text is None:
            errors.append(RowError(number, name, "只能是文本或数字"))
            ok = False
            continue
        values[field] = text
    for field in Field:
        columns.setdefault(field, field.value)
    return RawRow(number, values, columns) if ok else None


def _value_text(field: Field, value: object) -> str | None:
    if value is None or isinstance(value, str | int | float | bool):
        return cell_text(value)
    joiner = _LIST_JOINERS.get(field)
    if (
        joiner is not None
        and isinstance(value, list)
        and all(isinstance(part, str | int | float) for part in value)
    ):
        return joiner.join(cell_text(part) for part in value)
    return None
