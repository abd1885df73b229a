"""The XLSX template admins download, fill in and upload.

The first sheet is the bank itself (header plus one example per question
type); a second sheet explains the columns. Loaders read the first sheet
whose row 1 is a header, so the template loads as it is: four example
questions.
"""

from __future__ import annotations

import os
from typing import IO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from quizzes.fields import CHINESE_HEADERS, Field

__all__ = ["TEMPLATE_EXAMPLES", "write_template"]

_HEADERS = tuple(CHINESE_HEADERS[field] for field in Field)

TEMPLATE_EXAMPLES: tuple[dict[Field, str | int], ...] = (
    {
        Field.TYPE: "单选",
        Field.QUESTION: "中国共产党第一次全国代表大会是在哪一年召开的？",
        Field.OPTION_A: "1919 年",
        Field.OPTION_B: "1921 年",
        Field.OPTION_C: "1927 年",
        Field.OPTION_D: "1949 年",
        Field.ANSWER: "B",
        Field.EXPLANATION: "党的一大于 1921 年 7 月召开，宣告了中国共产党的成立。",
        Field.DIFFICULTY: 1,
        Field.TAGS: "党史;党的创建",
    },
    {
        Field.TYPE: "多选",
        Field.QUESTION: "下列哪些属于党的纪律处分种类？",
        Field.OPTION_A: "警告",
        Field.OPTION_B: "留党察看",
        Field.OPTION_C: "开除党籍",
        Field.OPTION_D: "罚款",
        Field.ANSWER: "ABC",
        Field.EXPLANATION: "党的纪律处分有警告、严重警告、撤销党内职务、留党察看、开除党籍五种，"
        "罚款不属于党纪处分。",
        Field.DIFFICULTY: 2,
        Field.TAGS: "党章;纪律建设",
    },
    {
        Field.TYPE: "判断",
        Field.QUESTION: "预备党员的预备期为一年。",
        Field.ANSWER: "对",
        Field.EXPLANATION: "党章规定，预备党员的预备期为一年。",
        Field.DIFFICULTY: 1,
        Field.TAGS: "党章;组织建设",
    },
    {
        Field.TYPE: "填空",
        Field.QUESTION: "党的一大最后一天的会议转移到浙江嘉兴____的一条游船上举行。",
        Field.ANSWER: "南湖|嘉兴南湖",
        Field.EXPLANATION: "南湖红船见证了中国共产党的诞生。多个可接受的答案用 | 分隔。",
        Field.DIFFICULTY: 2,
        Field.TAGS: "党史;党的创建",
    },
)

_NOTES = (
    ("列", "怎么填"),
    ("题型", "单选、多选、判断 或 填空（也可写 single、multiple、truefalse、fill）"),
    ("题目", "题干，必填；同一文件里的题目不能重复"),
    ("选项A…选项F", "单选、多选至少填 2 个选项，从 选项A 起连续填写；判断、填空不填"),
    (
        "答案",
        "单选填一个字母，如 B；多选填 2 个以上字母，如 ACD；判断填 对 或 错；"
        "填空填答案，多个可接受的答案用 | 分隔",
    ),
    ("解析", "选填，答题后展示给党员"),
    ("难度", "选填，1 到 5 的整数"),
    ("标签", "选填，多个标签用 ; 分隔，抽题时可按标签筛选"),
    ("其他", "只要有一行出错，整个文件都不会导入，并会列出所有出错的行和列"),
)


def write_template(target: str | os.PathLike[str] | IO[bytes]) -> None:
    """Write the XLSX template to a path or a binary file object."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append(_HEADERS)
    for example in TEMPLATE_EXAMPLES:
        sheet.append([example.get(field, "") for field in Field])
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="FCE4D6")
    for cell in sheet[1]:
        cell.font = bold
        cell.fill = fill
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    widths = {Field.QUESTION: 40, Field.EXPLANATION: 40, Field.ANSWER: 14, Field.TAGS: 16}
    for index, field in enumerate(Field):
        sheet.column_dimensions[get_column_letter(index + 1)].width = widths.get(field, 12)
    sheet.freeze_panes = "A2"
    _add_validations(sheet)

    notes = workbook.create_sheet("填写说明")
    for line in _NOTES:
        notes.append(line)
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 90
    for cell in notes[1]:
        cell.font = bold
    workbook.save(target)


def _add_validations(sheet: object) -> None:
    type_column = _column_letter(Field.TYPE)
    level_column = _column_letter(Field.DIFFICULTY)
    types = DataValidation(type="list", formula1='"单选,多选,判断,填空"', allow_blank=True)
    types.add(f"{type_column}2:{type_column}2000")
    levels = DataValidation(type="whole", operator="between", formula1="1", formula2="5")
    levels.allow_blank = True
    levels.error = "难度必须是 1 到 5 的整数"
    levels.add(f"{level_column}2:{level_column}2000")
    sheet.add_data_validation(types)  # type: ignore[attr-defined]
    sheet.add_data_validation(levels)  # type: ignore[attr-defined]


def _column_letter(field: Field) -> str:
    letter: str = get_column_letter(list(Field).index(field) + 1)
    return letter
