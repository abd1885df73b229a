"""Quiz-bank import: a generated 10,000-question XLSX and CSV, questions per second.

Baseline, measured in the same run on the same bytes: just reading the rows
(openpyxl read-only for XLSX, the csv module for CSV) without validating or
storing anything. "ours" is the whole import: read, validate every row and
bulk-insert into a fresh SQLite database, as `hongxin quiz import` does.
The ratio ours/baseline says how much validation and storage add to reading.
"""

from __future__ import annotations

import csv
import io
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from openpyxl import Workbook, load_workbook

import quizzes
from app import migrations
from app.db import Database
from app.quiz_banks.service import store_bank

QUESTIONS = 10_000
HEADER = ["题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]


def rows(count: int = QUESTIONS) -> list[list[object]]:
    out: list[list[object]] = []
    for n in range(1, count + 1):
        kind = n % 4
        if kind == 0:
            out.append(["单选", f"第{n}题：党的一大在哪一年召开？", "1919 年", "1921 年",
                        "1927 年", "1949 年", "B", "1921 年 7 月。", 1 + n % 5, "党史"])
        elif kind == 1:
            out.append(["多选", f"第{n}题：下列哪些属于党纪处分？", "警告", "严重警告",
                        "撤销党内职务", "罚款", "ABC", "", 2, "党章;纪律"])
        elif kind == 2:
            out.append(["判断", f"第{n}题：预备期为一年。", "", "", "", "", "对", "", "", ""])
        else:
            out.append(["填空", f"第{n}题：一大闭幕于嘉兴____。", "", "", "", "",
                        "南湖|嘉兴南湖", "", 3, ""])
    return out


def xlsx_bytes(data: list[list[object]]) -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in data:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(data: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(data)
    return buffer.getvalue().encode("utf-8-sig")


def _baseline_xlsx(data: bytes) -> int:
    book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _ in book.worksheets[0].iter_rows(min_row=2, values_only=True))
    book.close()
    return count


def _baseline_csv(data: bytes) -> int:
    return sum(1 for _ in csv.reader(io.StringIO(data.decode("utf-8-sig")))) - 1


def _timed(work: Callable[..., object], *args: object) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started


def _validate(data: bytes, filename: str) -> quizzes.Bank:
    return quizzes.load_bank(data, filename).unwrap()


def _import(database: Database, data: bytes, filename: str) -> int:
    bank = _validate(data, filename)
    with database.unit_of_work() as session:
        stored = store_bank(session, bank, name=filename, filename=filename,
                            now=datetime.now(UTC))
        return stored.question_count


def main() -> dict[str, dict[str, float]]:
    data = rows()
    files = {"xlsx": xlsx_bytes(data), "csv": csv_bytes(data)}
    baselines = {"xlsx": _baseline_xlsx, "csv": _baseline_csv}
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        migrations.upgrade(url)
        database = Database(url)
        try:
            for kind, payload in files.items():
                base = _timed(baselines[kind], payload)
                parse = _timed(_validate, payload, f"bank.{kind}")
                whole = _timed(_import, database, payload, f"bank.{kind}")
                figures[kind] = {
                    "questions": QUESTIONS,
                    "baseline_qps": QUESTIONS / base,
                    "validate_qps": QUESTIONS / parse,
                    "import_qps": QUESTIONS / whole,
                    "import_seconds": whole,
                    "ratio": whole / base,
                }
        finally:
            database.close()
    for kind, figure in figures.items():
        print(f"{kind}: import {figure['import_qps']:,.0f} q/s ({figure['import_seconds']:.2f} s"
              f" for {QUESTIONS:,}); validate only {figure['validate_qps']:,.0f} q/s; "
              f"baseline read {figure['baseline_qps']:,.0f} q/s; "
              f"import takes {figure['ratio']:.1f}x the baseline read")
    return figures


if __name__ == "__main__":
    main()
