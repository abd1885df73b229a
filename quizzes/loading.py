"""Loading banks: one function per format and :func:`load_bank` to pick one.

Every loader takes the file's bytes (or text, for the text formats) and
returns a :class:`LoadResult`: a bank, or the located problems and no
questions at all. Loaders do not raise for anything a file can contain, and
refuse a file past their :class:`~quizzes.Limits` as soon as they see it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Generator
from contextlib import closing
from pathlib import PurePath

from quizzes.errors import UnsupportedFormatError
from quizzes.fields import RawRow
from quizzes.limits import DEFAULT_LIMITS, Limits
from quizzes.model import BankFormat, LoadResult, RowError
from quizzes.readers.aiken_reader import read_aiken
from quizzes.readers.csv_reader import read_csv
from quizzes.readers.decode import decode_text
from quizzes.readers.gift_reader import read_gift
from quizzes.readers.json_reader import read_json
from quizzes.readers.xlsx_reader import read_xlsx
from quizzes.validate import assemble

__all__ = ["load_aiken", "load_bank", "load_csv", "load_gift", "load_json", "load_xlsx"]

_EXTENSIONS = {
    ".csv": BankFormat.CSV,
    ".xlsx": BankFormat.XLSX,
    ".json": BankFormat.JSON,
    ".gift": BankFormat.GIFT,
    ".txt": BankFormat.AIKEN,
}
_MIB = 1024 * 1024


def _too_big(data: bytes | str, limits: Limits) -> LoadResult | None:
    if len(data) <= limits.max_bytes:
        return None
    message = (f"文件有 {len(data) / _MIB:.0f} MB，超过 {limits.max_megabytes} 的上限；"
               "请分成几个文件导入")
    return LoadResult(bank=None, errors=(RowError(None, None, message),))


_Items = Generator[RawRow | RowError, None, None]


def _load(fmt: BankFormat, data: bytes | str, limits: Limits,
          read: Callable[[], _Items]) -> LoadResult:
    refused = _too_big(data, limits)
    if refused is not None:
        return refused
    # closing: validation may stop early, and the reader's file must close then, not later.
    with closing(read()) as items:
        return assemble(fmt, items, limits)


def _listed(rows_and_errors: tuple[list[RawRow], list[RowError]]) -> _Items:
    rows, errors = rows_and_errors
    yield from itertools.chain(rows, errors)


def load_csv(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """A CSV bank (UTF-8 with or without BOM, or GB18030)."""
    return _load(BankFormat.CSV, data, limits, lambda: read_csv(data, limits))


def load_xlsx(data: bytes, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """An XLSX bank: the first worksheet whose row 1 is a header."""
    return _load(BankFormat.XLSX, data, limits, lambda: read_xlsx(data, limits))


def load_json(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """A JSON bank: a list of objects keyed like the header row."""
    return _load(BankFormat.JSON, data, limits, lambda: read_json(data))


def load_gift(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """A Moodle GIFT bank."""
    return _load(BankFormat.GIFT, data, limits, lambda: _listed(read_gift(data)))


def load_aiken(data: bytes | str, limits: Limits = DEFAULT_LIMITS) -> LoadResult:
    """A Moodle Aiken bank."""
    return _load(BankFormat.AIKEN, data, limits, lambda: _listed(read_aiken(data)))


_LOADERS: dict[BankFormat, Callable[[bytes, Limits], LoadResult]] = {
    BankFormat.CSV: load_csv,
    BankFormat.XLSX: load_xlsx,
    BankFormat.JSON: load_json,
    BankFormat.GIFT: load_gift,
    BankFormat.AIKEN: load_aiken,
}


def load_bank(
    data: bytes,
    filename: str = "",
    *,
    format: BankFormat | str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> LoadResult:
    """Load a bank, choosing the format by ``format`` or else by the file extension.

    ``.csv``, ``.xlsx``, ``.json`` and ``.gift`` name their formats. ``.txt``
    is Aiken, unless it has no ``ANSWER:`` line but has a ``{`` answer block,
    in which case it is GIFT (Moodle exports GIFT as ``.txt`` too). Any other
    extension gives a file-level error in the result, since the filename
    comes from the uploader. An unknown ``format`` name is the caller's
    mistake and raises :class:`UnsupportedFormatError`. ``limits`` bound
    what is read (:class:`~quizzes.Limits`).
    """
    if format is not None:
        try:
            chosen = BankFormat(str(format).lower())
        except ValueError:
            known = ", ".join(f.value for f in BankFormat)
            raise UnsupportedFormatError(
                f"unknown bank format {format!r}; use one of {known}"
            ) from None
        return _LOADERS[chosen](data, limits)
    suffix = PurePath(filename).suffix.lower()
    chosen_by_name = _EXTENSIONS.get(suffix)
    if chosen_by_name is None:
        shown = suffix or "（无扩展名）"
        message = f"不支持的文件类型 {shown}，请上传 .xlsx、.csv、.json、.gift 或 .txt（Aiken）文件"
        if suffix == ".xls":
            message = "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传"
        return LoadResult(bank=None, errors=(RowError(None, None, message),))
    refused = _too_big(data, limits)
    if refused is not None:
        return refused
    if chosen_by_name is BankFormat.AIKEN and _looks_like_gift(data):
        chosen_by_name = BankFormat.GIFT
    return _LOADERS[chosen_by_name](data, limits)


def _looks_like_gift(data: bytes) -> bool:
    text = decode_text(data)
    if isinstance(text, RowError):
        return False
    upper = text.upper()
    return "{" in text and "ANSWER:" not in upper and "ANSWER：" not in upper
