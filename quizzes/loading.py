"""Loading banks: one function per format and :func:`load_bank` to pick one.

Every loader takes the file's bytes (or text, for the text formats) and
returns a :class:`LoadResult`: a bank, or every located problem and no
questions at all. Loaders do not raise for anything a file can contain.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePath

from quizzes.errors import UnsupportedFormatError
from quizzes.fields import RawRow
from quizzes.model import BankFormat, LoadResult, RowError
from quizzes.readers.aiken_reader import read_aiken
from quizzes.readers.csv_reader import read_csv
from quizzes.readers.decode import decode_text
from quizzes.readers.gift_reader import read_gift
from quizzes.readers.json_reader import read_json
from quizzes.readers.xlsx_reader import read_xlsx
from quizzes.validate import assemble

__all__ = ["load_aiken", "load_bank", "load_csv", "load_gift", "load_json", "load_xlsx"]

_Reader = Callable[[bytes], tuple[list[RawRow], list[RowError]]]

_EXTENSIONS = {
    ".csv": BankFormat.CSV,
    ".xlsx": BankFormat.XLSX,
    ".json": BankFormat.JSON,
    ".gift": BankFormat.GIFT,
    ".txt": BankFormat.AIKEN,
}


def load_csv(data: bytes | str) -> LoadResult:
    """A CSV bank (UTF-8 with or without BOM, or GB18030)."""
    return assemble(BankFormat.CSV, *read_csv(data))


def load_xlsx(data: bytes) -> LoadResult:
    """An XLSX bank: the first worksheet, row 1 the header."""
    return assemble(BankFormat.XLSX, *read_xlsx(data))


def load_json(data: bytes | str) -> LoadResult:
    """A JSON bank: a list of objects keyed like the header row."""
    return assemble(BankFormat.JSON, *read_json(data))


def load_gift(data: bytes | str) -> LoadResult:
    """A Moodle GIFT bank."""
    return assemble(BankFormat.GIFT, *read_gift(data))


def load_aiken(data: bytes | str) -> LoadResult:
    """A Moodle Aiken bank."""
    return assemble(BankFormat.AIKEN, *read_aiken(data))


_LOADERS: dict[BankFormat, Callable[[bytes], LoadResult]] = {
    BankFormat.CSV: load_csv,
    BankFormat.XLSX: load_xlsx,
    BankFormat.JSON: load_json,
    BankFormat.GIFT: load_gift,
    BankFormat.AIKEN: load_aiken,
}


def load_bank(
    data: bytes, filename: str = "", *, format: BankFormat | str | None = None
) -> LoadResult:
    """Load a bank, choosing the format by ``format`` or else by the file extension.

    ``.csv``, ``.xlsx``, ``.json`` and ``.gift`` name their formats. ``.txt``
    is Aiken, unless it has no ``ANSWER:`` line but has a ``{`` answer block,
    in which case it is GIFT (Moodle exports GIFT as ``.txt`` too). Any other
    extension gives a file-level error in the result, since the filename
    comes from the uploader. An unknown ``format`` name is the caller's
    mistake and raises :class:`UnsupportedFormatError`.
    """
    if format is not None:
        try:
            chosen = BankFormat(str(format).lower())
        except ValueError:
            known = ", ".join(f.value for f in BankFormat)
            raise UnsupportedFormatError(
                f"unknown bank format {format!r}; use one of {known}"
            ) from None
        return _LOADERS[chosen](data)
    suffix = PurePath(filename).suffix.lower()
    chosen_by_name = _EXTENSIONS.get(suffix)
    if chosen_by_name is None:
        shown = suffix or "（无扩展名）"
        message = f"不支持的文件类型 {shown}，请上传 .xlsx、.csv、.json、.gift 或 .txt（Aiken）文件"
        if suffix == ".xls":
            message = "不支持旧版 .xls 文件，请在 Excel 中另存为 .xlsx 后再上传"
        return LoadResult(bank=None, errors=(RowError(None, None, message),))
    if chosen_by_name is BankFormat.AIKEN and _looks_like_gift(data):
        chosen_by_name = BankFormat.GIFT
    return _LOADERS[chosen_by_name](data)


def _looks_like_gift(data: bytes) -> bool:
    text = decode_text(data)
    if isinstance(text, RowError):
        return False
    upper = text.upper()
    return "{" in text and "ANSWER:" not in upper and "ANSWER：" not in upper
