"""A roster file (花名册) to validated rows, or every problem located by row and column.

CSV is decoded as quiz banks are (UTF-8 with or without BOM, GB18030); XLSX is
read with calamine. Cells keep their spreadsheet types here, because a
phone number typed into Excel arrives as a float and must be told apart from
one that Excel already rounded into scientific notation.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import PurePath

from python_calamine import CalamineWorkbook

from bots.profile import normalize_name, normalize_phone
from quizzes.readers.decode import decode_text

STATUSES = ("正式党员", "预备党员", "发展对象", "入党积极分子", "群众")
# Header spellings, compared after NFKC, lower case and with spaces, _ and - removed.
_HEADERS = {
    "name": ("姓名", "name"),
    "phone": ("手机号", "手机", "手机号码", "电话", "phone", "mobile"),
    "org": ("组织", "所在组织", "org", "organization", "organisation"),
    "status": ("政治面貌", "status"),
    "joined_on": ("入党日期", "入党时间", "joinedon", "joined"),
    "duty": ("党内职务", "职务", "duty"),
}
CHINESE = {"name": "姓名", "phone": "手机号", "org": "组织", "status": "政治面貌",
           "joined_on": "入党日期", "duty": "党内职务"}
_REQUIRED = ("name", "phone", "org", "status")
_LOOKUP = {re.sub(r"[\s_\-]", "", spelling): column
           for column, spellings in _HEADERS.items() for spelling in spellings}
_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_XLSX_UNREADABLE = ("无法读取 XLSX 文件：文件已损坏，或不是 Excel 2007 及以后的格式"
                    "（.xls 请另存为 .xlsx）")


@dataclass(frozen=True, slots=True)
class Problem:
    row: int | None
    column: str | None
    message: str

    def as_dict(self) -> dict[str, object]:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass(frozen=True, slots=True)
class RosterRow:
    row: int
    name: str
    phone: str
    org_path: tuple[str, ...]
    status: str
    joined_on: date | None
    duty: str | None


def read_roster(data: bytes, filename: str) -> tuple[list[RosterRow], list[Problem]]:
    """Every valid row, and every problem; an import goes ahead only without problems."""
    suffix = PurePath(filename).suffix.lower()
    looks_zipped = zipfile.is_zipfile(io.BytesIO(data))
    if suffix == ".xlsx" or (suffix != ".csv" and looks_zipped):
        table = _xlsx_cells(data)
    else:
        table = _csv_cells(data)
    if isinstance(table, Problem):
        return [], [table]
    return _rows(table)


def _csv_cells(data: bytes) -> list[list[object]] | Problem:
    text = decode_text(data)
    if not isinstance(text, str):
        return Problem(None, None, text.message)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    try:
        return [list(row) for row in csv.reader(io.StringIO(text, newline=""),
                                                delimiter=delimiter)]
    except csv.Error as failure:
        return Problem(None, None, f"CSV 格式有误：{failure}")


def _xlsx_cells(data: bytes) -> list[list[object]] | Problem:
    """The first sheet's cells, read by calamine (Rust): a 10,000-person roster in a
    tenth of a second, where openpyxl takes seconds. Rows keep their spreadsheet
    numbers (empty leading rows are not skipped)."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        return Problem(None, None, _XLSX_UNREADABLE)
    # A malformed package surfaces as whatever the zip and XML layers raise; an upload
    # must get an answer, not a 500.
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        sheet = workbook.get_sheet_by_index(0)
        return [list(row) for row in sheet.to_python(skip_empty_area=False)]
    except Exception:
        return Problem(None, None, _XLSX_UNREADABLE)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFKC", str(value)).strip()


def _rows(table: Sequence[Sequence[object]]) -> tuple[list[RosterRow], list[Problem]]:
    cells: Iterator[Sequence[object]] = iter(table)
    header = next(cells, None)
    if header is None:
        return [], [Problem(None, None, "文件是空的，第 1 行应当是表头")]
    positions, problems = _header(header)
    if problems:
        return [], problems
    rows: list[RosterRow] = []
    first_row_of_phone: dict[str, int] = {}
    for number, record in enumerate(cells, start=2):
        values = {column: record[index] if index < len(record) else None
                  for column, index in positions.items()}
        if not any(_text(value) for value in values.values()):
            continue
        row, row_problems = _row(number, values)
        if row is not None and row.phone in first_row_of_phone:
            row_problems.append(Problem(number, CHINESE["phone"], f"手机号 {row.phone} 与第 "
                                        f"{first_row_of_phone[row.phone]} 行重复"))
        elif row is not None:
            first_row_of_phone[row.phone] = number
        if row_problems:
            problems.extend(row_problems)
        elif row is not None:
            rows.append(row)
    if not rows and not problems:
        problems.append(Problem(None, None, "文件中没有人员记录"))
    return rows, problems


def _header(cells: Iterable[object]) -> tuple[dict[str, int], list[Problem]]:
    positions: dict[str, int] = {}
    problems: list[Problem] = []
    for index, cell in enumerate(cells):
        key = re.sub(r"[\s_\-]", "", _text(cell).lower())
        column = _LOOKUP.get(key)
        if column is None:
            continue
        if column in positions:
            problems.append(Problem(1, _text(cell), f"与前面的「{CHINESE[column]}」列重复"))
            continue
        positions[column] = index
    problems += [Problem(1, CHINESE[column], f"缺少必填列「{CHINESE[column]}」")
                 for column in _REQUIRED if column not in positions]
    return positions, problems


def _row(number: int, values: dict[str, object]) -> tuple[RosterRow | None, list[Problem]]:
    problems: list[Problem] = []

    def problem(column: str, message: str) -> None:
        problems.append(Problem(number, CHINESE[column], message))

    name = normalize_name(_text(values.get("name")))
    if name is None:
        problem("name", "姓名需为 1–20 个汉字或字母" if _text(values.get("name"))
                else "姓名不能为空")
    phone = _phone(values.get("phone"), lambda message: problem("phone", message))
    org_path = tuple(part.strip() for part in re.split(r"/", _text(values.get("org"))))
    if not any(org_path):
        problem("org", "组织不能为空，例如：机关党委/第一党支部")
    elif not all(org_path) or any(len(part) > 64 for part in org_path):
        problem("org", "组织路径中的每一级都不能为空（至多 64 个字），以“/”分隔，"
                       "例如：机关党委/第一党支部")
    status = _text(values.get("status"))
    if status not in STATUSES:
        problem("status", f"政治面貌“{status}”无效，应为{'、'.join(STATUSES)}之一" if status
                else f"政治面貌不能为空，应为{'、'.join(STATUSES)}之一")
    joined_on = _date(values.get("joined_on"), lambda message: problem("joined_on", message))
    duty = _text(values.get("duty")) or None
    if duty is not None and len(duty) > 16:
        problem("duty", "党内职务至多 16 个字")
    if problems or name is None or phone is None:
        return None, problems
    return RosterRow(number, name, phone, org_path, status, joined_on, duty), problems


def _phone(value: object, refuse: Callable[[str], None]) -> str | None:
    if isinstance(value, float) and not value.is_integer():
        refuse("手机号不是整数，请检查该单元格")
        return None
    text = _text(value)
    if not text:
        refuse("手机号不能为空")
        return None
    if re.fullmatch(r"[\d.]+[eE][+]?\d+", text):
        # Excel shows long numbers as 1.38E+10 and a CSV saved from it keeps only
        # what was shown: the digits are gone unless the mantissa still has them all.
        try:
            exact = Decimal(text)
        except InvalidOperation:
            exact = None
        recoverable = exact is not None and int(exact.as_tuple().exponent) <= 0
        if exact is None or not recoverable:
            refuse(f"手机号“{text}”是 Excel 的科学计数法，数字已丢失；请把该列设为“文本”"
                   "格式后重新填写")
            return None
        text = str(int(exact))
    phone = normalize_phone(text)
    if phone is None:
        refuse(f"手机号“{text}”不是 11 位大陆手机号")
    return phone


def _date(value: object, refuse: Callable[[str], None]) -> date | None:
    if value is None or _text(value) == "":
        return None
    found = _as_date(value)
    if found is None:
        refuse(f"入党日期“{_text(value)}”无法识别，请写成 2020-07-01")
    elif found > date.today():
        refuse("入党日期不能晚于今天")
        return None
    return found


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = _DATE.fullmatch(_text(value))
    if match is None:
        return None
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        return None
