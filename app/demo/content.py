"""Demo content written for Hongxin: short original lessons and a 30-question bank.

The facts are the common ones of party history and the Party Constitution; the
wording is our own.
"""

from __future__ import annotations

from typing import Any

LESSONS: tuple[dict[str, Any], ...] = (
    {
        "title": "从一条游船说起",
        "summary": "一大闭幕会为什么在南湖的游船上召开？五分钟回顾建党时刻。",
        "tags": ["党史"],
        "series": "党史故事",
        "body": """## 会场的转移

1921 年 7 月，党的第一次全国代表大会在上海开幕。会议期间，会场受到法租界巡捕的
侵扰，代表们决定转移。最后一天的会议，改在浙江嘉兴南湖的一条游船上继续进行。

## 游船上的决定

在这条船上，大会通过了党的第一个纲领，选举产生了中央局。一个新的政党，就这样在
风雨中宣告诞生。

## 今天怎么读

- **首创**：敢为人先，在困难中开新路；
- **奋斗**：认准方向，不因一时受阻而停步；
- **奉献**：把个人放进集体的事业之中。

> 想一想：遇到工作中的“会场被打断”，你会怎样把事情推进下去？
""",
    },
    {
        "title": "民主集中制的四个“服从”",
        "summary": "党的根本组织原则是什么？四句话记住它的基本要求。",
        "tags": ["党章", "组织原则"],
        "series": "党员之家",
        "body": """民主集中制是党的根本组织原则，也是群众路线在党的生活中的运用。

## 四个“服从”

1. 党员个人服从党的组织；
2. 少数服从多数；
3. 下级组织服从上级组织；
4. 全党各个组织和全体党员服从党的全国代表大会和中央委员会。

## 民主和集中缺一不可

讨论时畅所欲言，是民主；形成决定后坚决执行，是集中。只讲民主不讲集中，事情议而
不决；只讲集中不讲民主，决定就容易脱离实际。

> 小练习：回想最近一次支部会议，哪些环节体现了“民主”，哪些体现了“集中”？
""",
    },
    {
        "title": "过好组织生活：“三会一课”",
        "summary": "支部党员大会、支部委员会、党小组会和党课，各管什么？",
        "tags": ["组织生活"],
        "series": "党员之家",
        "body": """“三会一课”是党的组织生活的基本制度。

| 名称 | 参加的人 | 主要做什么 |
|---|---|---|
| 支部党员大会 | 支部全体党员 | 讨论决定支部的重要事项 |
| 支部委员会 | 支部委员 | 研究安排支部日常工作 |
| 党小组会 | 小组党员 | 学习交流、开展批评和自我批评 |
| 党课 | 全体党员 | 系统学习理论和党的知识 |

## 三个小建议

- 会前把议题发给大家，会上才有真讨论；
- 党课可以请普通党员来讲，讲身边事；
- 会后把决定落到具体的人和时间上。
""",
    },
    {
        "title": "党员的权利，你都用过吗？",
        "summary": "党员不只有义务，也有权利。看看党章列出的几项。",
        "tags": ["党章", "党员权利"],
        "series": "党员之家",
        "body": """党章既规定了党员的义务，也保障党员的权利。其中包括：

- 参加党的有关会议，阅读党的有关文件，接受党的教育和培训；
- 在党的会议上和党报党刊上，参加关于党的政策问题的讨论；
- 对党的工作提出建议和倡议；
- 行使表决权、选举权，有被选举权。

## 用好权利，也是尽责

在支部会上提出一条建议，在选举中认真投下一票，都是党员参与党内生活的方式。
权利用得好，组织就更有活力。
""",
    },
)

# One object per question, with the English keys of the JSON bank format.
QUESTIONS: tuple[dict[str, Any], ...] = (
    {"type": "single", "question": "党的第一次全国代表大会在哪一年召开？",
     "option_a": "1919 年", "option_b": "1921 年", "option_c": "1927 年", "option_d": "1949 年",
     "answer": "B", "explanation": "党的一大于 1921 年 7 月在上海开幕。", "difficulty": 1,
     "tags": "党史"},
    {"type": "single", "question": "党的最高领导机关是什么？",
     "option_a": "党的全国代表大会和它所产生的中央委员会", "option_b": "中央纪律检查委员会",
     "option_c": "中央军事委员会", "option_d": "地方各级委员会", "answer": "A",
     "explanation": "这是党章关于党的中央组织的规定。", "difficulty": 2, "tags": "党章"},
    {"type": "truefalse", "question": "预备党员的预备期为一年。", "answer": "对",
     "explanation": "预备期从支部大会通过其为预备党员之日算起。", "difficulty": 1, "tags": "党章"},
    {"type": "single", "question": "每年的哪一天是中国共产党的建党纪念日？",
     "option_a": "7 月 1 日", "option_b": "8 月 1 日", "option_c": "10 月 1 日",
     "option_d": "5 月 4 日", "answer": "A", "difficulty": 1, "tags": "党史"},
    {"type": "single", "question": "党的根本组织原则是什么？",
     "option_a": "民主集中制", "option_b": "集体领导", "option_c": "分工负责",
     "option_d": "层级管理", "answer": "A", "explanation": "民主集中制是党的根本组织原则。",
     "difficulty": 1, "tags": "党章;组织原则"},
    {"type": "fill", "question": "中国共产党的根本宗旨是全心全意为____服务。",
     "answer": "人民|人民群众", "difficulty": 1, "tags": "党章"},
    {"type": "multiple", "question": "下列哪些属于党的纪律处分种类？",
     "option_a": "警告", "option_b": "严重警告", "option_c": "撤销党内职务", "option_d": "罚款",
     "answer": "ABC",
     "explanation": "党纪处分有警告、严重警告、撤销党内职务、留党察看、开除党籍五种。",
     "difficulty": 2, "tags": "纪律"},
    {"type": "truefalse", "question": "党员有权在党的会议上参加关于党的政策问题的讨论。",
     "answer": "对", "explanation": "这是党章规定的党员权利之一。", "difficulty": 1,
     "tags": "党章;党员权利"},
    {"type": "single", "question": "遵义会议是在哪一年召开的？",
     "option_a": "1927 年", "option_b": "1935 年", "option_c": "1937 年", "option_d": "1945 年",
     "answer": "B", "explanation": "遵义会议于 1935 年 1 月召开。", "difficulty": 2,
     "tags": "党史"},
    {"type": "single", "question": "中华人民共和国是在哪一年成立的？",
     "option_a": "1945 年", "option_b": "1949 年", "option_c": "1950 年", "option_d": "1956 年",
     "answer": "B", "difficulty": 1, "tags": "党史"},
    {"type": "single", "question": "三湾改编确立了哪一项重要制度？",
     "option_a": "支部建在连上", "option_b": "农村包围城市", "option_c": "土地改革",
     "option_d": "精兵简政", "answer": "A",
     "explanation": "1927 年的三湾改编把党的支部建在连上，奠定了党对军队的领导。",
     "difficulty": 3, "tags": "党史"},
    {"type": "truefalse", "question": "入党誓词中有“永不叛党”的内容。", "answer": "对",
     "difficulty": 1, "tags": "党章"},
    {"type": "single",
     "question": "党员没有正当理由，连续几个月不参加党的组织生活、不交纳党费"
                 "或不做党所分配的工作，就被认为是自行脱党？",
     "option_a": "三个月", "option_b": "六个月", "option_c": "九个月", "option_d": "十二个月",
     "answer": "B", "difficulty": 3, "tags": "党章;纪律"},
    {"type": "single", "question": "党的七届二中全会召开地西柏坡位于哪个省？",
     "option_a": "河北省", "option_b": "陕西省", "option_c": "江西省", "option_d": "山西省",
     "answer": "A", "difficulty": 2, "tags": "党史"},
    {"type": "single", "question": "南昌起义发生在哪一年？",
     "option_a": "1921 年", "option_b": "1927 年", "option_c": "1931 年", "option_d": "1935 年",
     "answer": "B", "explanation": "1927 年 8 月 1 日，南昌起义打响了武装反抗的第一枪。",
     "difficulty": 2, "tags": "党史"},
    {"type": "single", "question": "红军长征胜利结束的标志是什么？",
     "option_a": "三大主力在会宁等地会师", "option_b": "遵义会议召开", "option_c": "强渡大渡河",
     "option_d": "飞夺泸定桥", "answer": "A", "explanation": "1936 年 10 月，红军三大主力会师。",
     "difficulty": 3, "tags": "党史"},
    {"type": "truefalse", "question": "党的全国代表大会每五年举行一次。", "answer": "对",
     "explanation": "由中央委员会召集。", "difficulty": 1, "tags": "党章"},
    {"type": "multiple", "question": "党的三大优良作风包括哪些？",
     "option_a": "理论联系实际", "option_b": "密切联系群众", "option_c": "批评和自我批评",
     "option_d": "层层加码", "answer": "ABC", "difficulty": 2, "tags": "作风建设"},
    {"type": "single", "question": "党的十一届三中全会在哪一年召开？",
     "option_a": "1976 年", "option_b": "1978 年", "option_c": "1982 年", "option_d": "1992 年",
     "answer": "B", "explanation": "这次全会开启了改革开放的历史新时期。", "difficulty": 2,
     "tags": "党史"},
    {"type": "truefalse", "question": "“两个务必”是在党的七届二中全会上提出的。", "answer": "对",
     "explanation": "务必继续保持谦虚、谨慎、不骄、不躁的作风，务必继续保持艰苦奋斗的作风。",
     "difficulty": 3, "tags": "党史;作风建设"},
    {"type": "single", "question": "全民族抗日战争爆发的标志是哪一事件？",
     "option_a": "九一八事变", "option_b": "七七事变", "option_c": "西安事变",
     "option_d": "华北事变", "answer": "B", "explanation": "1937 年 7 月 7 日卢沟桥事变。",
     "difficulty": 2, "tags": "党史"},
    {"type": "fill", "question": "井冈山革命根据地是由____率领秋收起义部队创建的。",
     "answer": "毛泽东|毛主席", "difficulty": 2, "tags": "党史"},
    {"type": "truefalse", "question": "共青团是中国共产党领导的先进青年的群团组织。",
     "answer": "对", "difficulty": 2, "tags": "党章"},
    {"type": "single", "question": "有正式党员几人以上的单位，都应当成立党的基层组织？",
     "option_a": "三人", "option_b": "五人", "option_c": "七人", "option_d": "十人",
     "answer": "A", "difficulty": 2, "tags": "党章;基层组织"},
    {"type": "multiple", "question": "下列哪些是党章规定的党员权利？",
     "option_a": "参加党的有关会议", "option_b": "行使表决权、选举权，有被选举权",
     "option_c": "对党的工作提出建议和倡议", "option_d": "不受党的纪律约束",
     "answer": "ABC", "difficulty": 2, "tags": "党章;党员权利"},
    {"type": "truefalse", "question": "党员领导干部可以不参加所在党支部的组织生活。",
     "answer": "错", "explanation": "党员领导干部还应参加双重组织生活。", "difficulty": 2,
     "tags": "组织生活"},
    {"type": "single", "question": "“为中国人民谋幸福，为中华民族谋复兴”是中国共产党人的什么？",
     "option_a": "初心和使命", "option_b": "组织原则", "option_c": "工作方法",
     "option_d": "纪律要求", "answer": "A", "difficulty": 1, "tags": "理论"},
    {"type": "fill", "question": "“三会一课”中的“一课”指的是按时上好____。",
     "answer": "党课", "difficulty": 1, "tags": "组织生活"},
    {"type": "single", "question": "中国人民解放军的建军节是哪一天？",
     "option_a": "7 月 1 日", "option_b": "8 月 1 日", "option_c": "10 月 1 日",
     "option_d": "12 月 26 日", "answer": "B", "difficulty": 1, "tags": "党史"},
    {"type": "truefalse", "question": "交纳党费是党员的义务，也是党员对党组织的经常性责任。",
     "answer": "对", "difficulty": 1, "tags": "党章"},
)

BANK_NAME = "红心示例题库"
