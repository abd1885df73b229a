"""The questions the sample files in ``data/`` describe."""

from __future__ import annotations

from quizzes import Question, QuestionType

FIRST_CONGRESS = "中国共产党第一次全国代表大会在哪一年召开？"
DISCIPLINE = "下列哪些属于党的纪律处分种类？"
PROBATION = "预备党员的预备期为一年。"
NANHU = "党的一大最后一天的会议转移到浙江嘉兴____的一条游船上举行。"

# bank.csv, bank_english.csv, bank.json and the XLSX built from bank.csv.
TABULAR_BANK = (
    Question(
        type=QuestionType.SINGLE,
        stem=FIRST_CONGRESS,
        options=("1919 年", "1921 年", "1927 年", "1949 年"),
        answer="B",
        explanation="党的一大于 1921 年召开。",
        difficulty=1,
        tags=("党史", "党的创建"),
    ),
    Question(
        type=QuestionType.MULTIPLE,
        stem=DISCIPLINE,
        options=("警告", "留党察看", "开除党籍", "罚款"),
        answer="ABC",
        explanation="罚款不属于党纪处分。",
        difficulty=2,
        tags=("党章", "纪律建设"),
    ),
    Question(type=QuestionType.TRUEFALSE, stem=PROBATION, answer="对", tags=("党章",)),
    Question(type=QuestionType.FILL, stem=NANHU, answer="南湖|嘉兴南湖", difficulty=3),
    Question(
        type=QuestionType.SINGLE,
        stem='题目里有逗号，也有"引号"吗？',
        options=("有", "没有"),
        answer="A",
    ),
)

GIFT_BANK = (
    Question(
        type=QuestionType.SINGLE,
        stem=FIRST_CONGRESS,
        options=("1921 年", "1919 年", "1927 年"),
        answer="A",
        explanation="党的一大于 1921 年召开。",
        tags=("党史",),
    ),
    Question(
        type=QuestionType.MULTIPLE,
        stem=DISCIPLINE,
        options=("警告", "留党察看", "开除党籍", "罚款"),
        answer="ABC",
        tags=("党史",),
    ),
    Question(type=QuestionType.TRUEFALSE, stem=PROBATION, answer="对", tags=("党章",)),
    Question(type=QuestionType.TRUEFALSE, stem="预备党员享有表决权。", answer="错", tags=("党章",)),
    Question(type=QuestionType.FILL, stem=NANHU, answer="南湖|嘉兴南湖", tags=("党章",)),
    Question(
        type=QuestionType.SINGLE,
        stem="比值 1:2 中的冒号和 {花括号} 都不是答案符号吗？",
        options=("是的=对", "不是"),
        answer="A",
        tags=("党章",),
    ),
)

AIKEN_BANK = (
    Question(
        type=QuestionType.SINGLE,
        stem=FIRST_CONGRESS,
        options=("1919 年", "1921 年", "1927 年"),
        answer="B",
    ),
    Question(
        type=QuestionType.MULTIPLE,
        stem=f"{DISCIPLINE}\n（可多选）",
        options=("警告", "留党察看", "开除党籍", "罚款"),
        answer="ABC",
    ),
    Question(
        type=QuestionType.SINGLE,
        stem="预备党员的预备期是多久？",
        options=("半年", "一年"),
        answer="B",
    ),
)
