"""Quiz banks for Hongxin: file formats, validation, drawing and grading.

A pure library: the standard library plus openpyxl, no clock and no
randomness that is not passed in.

>>> import random, quizzes
>>> result = quizzes.load_bank(data, "题库.xlsx")
>>> if not result.ok:
...     for error in result.errors:
...         print(error)          # 第 3 行 「答案」：答案 E 没有对应的选项
>>> paper = quizzes.draw_paper(result.unwrap(), 5, random.Random(seed), tags="党史")
>>> shuffle = quizzes.shuffle_options(paper.questions[0], random.Random(seed))
>>> quizzes.grade(paper.questions[0], "a c", shuffle=shuffle).correct
"""

from quizzes.drawing import draw_paper
from quizzes.errors import (
    BankRejectedError,
    DrawError,
    InvalidQuestionError,
    NotEnoughQuestionsError,
    QuizError,
    UnsupportedFormatError,
)
from quizzes.grading import AnswerProblem, GradeResult, ParsedAnswer, grade, parse_answer
from quizzes.limits import Limits
from quizzes.loading import load_aiken, load_bank, load_csv, load_gift, load_json, load_xlsx
from quizzes.model import (
    MAX_OPTIONS,
    Bank,
    BankFormat,
    LoadResult,
    Paper,
    Question,
    QuestionType,
    RowError,
)
from quizzes.shuffling import OptionShuffle, shuffle_options
from quizzes.template import write_template

__all__ = [
    "MAX_OPTIONS",
    "AnswerProblem",
    "Bank",
    "BankFormat",
    "BankRejectedError",
    "DrawError",
    "GradeResult",
    "InvalidQuestionError",
    "Limits",
    "LoadResult",
    "NotEnoughQuestionsError",
    "OptionShuffle",
    "Paper",
    "ParsedAnswer",
    "Question",
    "QuestionType",
    "QuizError",
    "RowError",
    "UnsupportedFormatError",
    "draw_paper",
    "grade",
    "load_aiken",
    "load_bank",
    "load_csv",
    "load_gift",
    "load_json",
    "load_xlsx",
    "parse_answer",
    "shuffle_options",
    "write_template",
]
