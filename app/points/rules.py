"""How many points each activity earns, and how many a day it may earn at most.

Daily caps work as 学习强国's do: once a member reached an activity's cap for
the day (in the service's time zone), further awards of it that day are zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Activity(StrEnum):
    LESSON_READ = "lesson_read"
    ANSWER_CORRECT = "answer_correct"
    QUIZ_FULL_MARKS = "quiz_full_marks"
    EVENT_CHECKIN = "event_checkin"
    CORRECTION = "correction"


@dataclass(frozen=True, slots=True)
class Rule:
    points: int
    daily_cap: int | None
    label: str  # shown to members in 积分


RULES: dict[Activity, Rule] = {
    Activity.LESSON_READ: Rule(points=1, daily_cap=3, label="学习微党课"),
    Activity.ANSWER_CORRECT: Rule(points=1, daily_cap=10, label="答对题目"),
    Activity.QUIZ_FULL_MARKS: Rule(points=5, daily_cap=5, label="答题满分"),
    Activity.EVENT_CHECKIN: Rule(points=3, daily_cap=None, label="活动签到"),
    Activity.CORRECTION: Rule(points=0, daily_cap=None, label="积分更正"),
}
