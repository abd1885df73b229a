"""How much of a bank file the loaders will read before refusing it.

A bank file comes from an uploader, so its size as sent says little: an XLSX
is a zip archive, and a few hundred kilobytes can unpack to gigabytes; a sheet
can declare millions of rows that hold nothing. The loaders check these
limits while they read, and stop at the first one crossed, so a hostile file
costs about what a file at the limit costs, and its answer stays short:

* ``max_bytes``: the file as given and, for XLSX, the sizes its archive
  declares for its parts once unpacked (checked before anything is unpacked;
  Python's zip reader never unpacks more than the declared size).
* ``max_questions``: question rows; reading stops at the first one over.
* ``max_cell_chars``: the text of one cell (one JSON value).
* ``max_blank_rows``: this many blank rows in a row end a sheet or CSV file;
  nothing below them is read. Spreadsheets often carry formatted but empty
  rows down to row 1,048,576.
* ``max_errors``: problems listed in a :class:`~quizzes.LoadResult`; the
  others are counted, not kept.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFAULT_LIMITS", "Limits"]

_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class Limits:
    """The limits a loader enforces while it reads; see the module docstring."""

    max_bytes: int = 64 * _MIB
    max_questions: int = 100_000
    max_cell_chars: int = 10_000
    max_blank_rows: int = 1_000
    max_errors: int = 200

    def __post_init__(self) -> None:
        if min(self.max_bytes, self.max_questions, self.max_cell_chars, self.max_blank_rows,
               self.max_errors) < 1:
            raise ValueError(f"every limit must be at least 1: {self!r}")

    @property
    def max_megabytes(self) -> str:
        """``max_bytes`` as shown in messages, e.g. ``"64 MB"``."""
        return f"{self.max_bytes / _MIB:g} MB"


DEFAULT_LIMITS = Limits()
