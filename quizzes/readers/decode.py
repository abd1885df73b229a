"""Bytes to text for the text formats (CSV, JSON, GIFT, Aiken).

Excel on Chinese Windows saves "CSV" in the ANSI code page (GBK, a subset of
GB18030) and "CSV UTF-8" with a BOM; editors elsewhere save UTF-8 without
one. A BOM decides; otherwise strict UTF-8 is tried first, because GB18030
accepts most byte strings and would turn real UTF-8 into mojibake.
"""

from __future__ import annotations

import codecs

from quizzes.model import RowError

__all__ = ["decode_text"]

UNREADABLE = "无法识别文件编码，请另存为 UTF-8 编码后再上传"


def decode_text(data: bytes | str) -> str | RowError:
    """The text of ``data``, or a file-level error when no encoding fits."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    if data.startswith(codecs.BOM_UTF8):
        encodings: tuple[str, ...] = ("utf-8-sig",)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        # Excel's "Unicode text" export.
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "gb18030")
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return RowError(None, None, UNREADABLE)
