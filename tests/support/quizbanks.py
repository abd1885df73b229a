"""Generated quiz-bank files for tests: every question type, any size."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook
from sqlalchemy import select

import quizzes
from app.db import Database
from app.models import Member, QuizAttempt
from app.quiz_play import service as play

HEADER = ["题型", "题目", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "难度", "标签"]


def bank_rows(count: int, prefix: str = "题") -> list[list[object]]:
    rows: list[list[object]] = []
    for n in range(1, count + 1):
        kind = n % 4
        if kind == 1:
            rows.append(["单选", f"{prefix}{n}：单选题干", "甲", "乙", "丙", "丁", "B",
                         f"第{n}题解析", 1 + n % 5, "党史"])
        elif kind == 2:
            rows.append(["多选", f"{prefix}{n}：多选题干", "甲", "乙", "丙", "丁", "AC",
                         f"第{n}题解析", 2, "党章;纪律"])
        elif kind == 3:
            rows.append(["判断", f"{prefix}{n}：判断题干", "", "", "", "", "对", "", None, ""])
        else:
            rows.append(["填空", f"{prefix}{n}：填空题干____", "", "", "", "", "南湖|嘉兴南湖",
                         "", 3, ""])
    return rows


def bank_csv(count: int, prefix: str = "题",
             extra: Sequence[Sequence[object]] | None = None) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for row in [*bank_rows(count, prefix), *(extra or [])]:
        writer.writerow(["" if value is None else value for value in row])
    return out.getvalue().encode("utf-8-sig")


def bank_xlsx(count: int, prefix: str = "题") -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in bank_rows(count, prefix):
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def right_answer(database: Database, openid: str) -> str:
    """The current question's answer in the letters the member was shown."""
    with database.unit_of_work() as session:
        member = session.scalars(select(Member).where(Member.openid == openid)).one()
        attempt = session.scalars(select(QuizAttempt).where(
            QuizAttempt.member_id == member.id, QuizAttempt.status == "open")).one()
        position = attempt.answered + 1
        row = play.question_row(session, attempt, position)
        question = play.to_question(row)
        letters = attempt.shuffles[position - 1]
        if letters:
            return quizzes.OptionShuffle.from_letters(letters).to_presented(question.answer)
        return question.display_answer
