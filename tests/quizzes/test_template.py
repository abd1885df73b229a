"""The XLSX template loads as it is and shows the Chinese headers."""

from __future__ import annotations

import io
from pathlib import Path

from openpyxl import load_workbook

import quizzes
from quizzes import QuestionType

HEADERS = [
    "题型", "题目", "选项A", "选项B", "选项C", "选项D", "选项E", "选项F",
    "答案", "解析", "难度", "标签",
]  # fmt: skip


def test_template_written_to_a_path_loads_one_question_per_type(tmp_path: Path) -> None:
    path = tmp_path / "题库模板.xlsx"

    quizzes.write_template(path)

    bank = quizzes.load_bank(path.read_bytes(), path.name).unwrap()
    assert [q.type for q in bank] == list(QuestionType)
    assert all(q.explanation and q.difficulty and q.tags for q in bank)


def test_template_header_and_instructions() -> None:
    buffer = io.BytesIO()

    quizzes.write_template(buffer)

    workbook = load_workbook(io.BytesIO(buffer.getvalue()))
    first, notes = workbook.worksheets
    assert [cell.value for cell in first[1]] == HEADERS
    assert first.max_row == 5
    assert notes.title == "填写说明"
    assert first.data_validations.dataValidation
