"""The activities that earn (or cost) points, and the catalogue's first version.

Every award names an activity; what it earns comes from the rules catalogue
in force (:mod:`app.points.catalogue`), which admins edit. Activity names other
modules pass to :func:`app.points.service.award_by_rule`:

=============================  ======================================================
``lesson_read``                a lesson page opened (学习微党课)
``answer_correct``             a quiz answer right (答对题目)
``quiz_full_marks``            a quiz finished with full marks (答题满分)
``contest``                    taking part in a knowledge contest (知识竞赛)
``event_checkin``              attending an activity, checked in (活动签到)
``meeting_<kind>``             attending a meeting of that event kind: ``branch_assembly``,
                               ``committee``, ``group_meeting``, ``party_lecture``,
                               ``theme_day``, ``life_meeting``, ``democratic_review``
``meeting_absence``            absent from a meeting without 请假 (a deduction)
``volunteer_hours``            volunteer service, ``quantity`` in hours (points per hour)
``deed_<slug>``                an offline deed, by category (see :data:`DEED_CATEGORIES`)
=============================  ======================================================

Caps (per day, month and year, in the service's time zone) bound what an
activity may earn a member in that span; awards beyond them earn nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Activity(StrEnum):
    LESSON_READ = "lesson_read"
    ANSWER_CORRECT = "answer_correct"
    QUIZ_FULL_MARKS = "quiz_full_marks"
    CONTEST = "contest"
    EVENT_CHECKIN = "event_checkin"
    MEETING_BRANCH_ASSEMBLY = "meeting_branch_assembly"
    MEETING_COMMITTEE = "meeting_committee"
    MEETING_GROUP_MEETING = "meeting_group_meeting"
    MEETING_PARTY_LECTURE = "meeting_party_lecture"
    MEETING_THEME_DAY = "meeting_theme_day"
    MEETING_LIFE_MEETING = "meeting_life_meeting"
    MEETING_DEMOCRATIC_REVIEW = "meeting_democratic_review"
    MEETING_ABSENCE = "meeting_absence"
    VOLUNTEER_HOURS = "volunteer_hours"
    DEED_VOLUNTEER = "deed_volunteer"
    DEED_PAIRING = "deed_pairing"
    DEED_ADVICE = "deed_advice"
    DEED_PIONEER = "deed_pioneer"
    DEED_OTHER = "deed_other"
    # Not in the catalogue: a reversal line earns exactly minus what it reverses.
    CORRECTION = "correction"


# The 先锋指数's categories, in the order reports show them, and their columns in
# points_period_totals.
CATEGORIES = ("学习", "组织生活", "志愿服务", "先锋作用")
CATEGORY_COLUMNS = {"学习": "study", "组织生活": "org_life", "志愿服务": "volunteering",
                    "先锋作用": "pioneering"}

# Offline deeds as organizers and members name them.
DEED_CATEGORIES: dict[str, Activity] = {
    "志愿服务": Activity.DEED_VOLUNTEER,
    "结对帮扶": Activity.DEED_PAIRING,
    "建言献策": Activity.DEED_ADVICE,
    "先锋作用": Activity.DEED_PIONEER,
    "其他": Activity.DEED_OTHER,
}


@dataclass(frozen=True, slots=True)
class Rule:
    """What one unit of an activity earns (``per_hour``: one hour), and its caps."""

    points: int
    category: str | None
    daily_cap: int | None = None
    monthly_cap: int | None = None
    yearly_cap: int | None = None
    per_hour: bool = False


# Shown to members in 积分 and in 一人一册; fixed, unlike points and caps.
LABELS: dict[Activity, str] = {
    Activity.LESSON_READ: "学习微党课",
    Activity.ANSWER_CORRECT: "答对题目",
    Activity.QUIZ_FULL_MARKS: "答题满分",
    Activity.CONTEST: "知识竞赛",
    Activity.EVENT_CHECKIN: "活动签到",
    Activity.MEETING_BRANCH_ASSEMBLY: "参加支部党员大会",
    Activity.MEETING_COMMITTEE: "参加支委会",
    Activity.MEETING_GROUP_MEETING: "参加党小组会",
    Activity.MEETING_PARTY_LECTURE: "参加党课",
    Activity.MEETING_THEME_DAY: "参加主题党日",
    Activity.MEETING_LIFE_MEETING: "参加组织生活会",
    Activity.MEETING_DEMOCRATIC_REVIEW: "参加民主评议党员",
    Activity.MEETING_ABSENCE: "无故缺席会议",
    Activity.VOLUNTEER_HOURS: "志愿服务时长",
    Activity.DEED_VOLUNTEER: "志愿服务",
    Activity.DEED_PAIRING: "结对帮扶",
    Activity.DEED_ADVICE: "建言献策",
    Activity.DEED_PIONEER: "先锋作用",
    Activity.DEED_OTHER: "其他先锋事迹",
    Activity.CORRECTION: "积分更正",
}
_LABEL_OF_VALUE = {activity.value: label for activity, label in LABELS.items()}


def activity_label(activity: str) -> str:
    """How a ledger line's activity reads to a member, e.g. ``答对题目``; an activity
    this version does not know reads as itself."""
    return _LABEL_OF_VALUE.get(activity, activity)


_STUDY, _LIFE, _SERVICE, _PIONEER = CATEGORIES

# The catalogue's first version; the fixed table's four automatic awards keep their points.
DEFAULT_RULES: dict[Activity, Rule] = {
    Activity.LESSON_READ: Rule(1, _STUDY, daily_cap=3),
    Activity.ANSWER_CORRECT: Rule(1, _STUDY, daily_cap=10),
    Activity.QUIZ_FULL_MARKS: Rule(5, _STUDY, daily_cap=5),
    Activity.CONTEST: Rule(5, _STUDY, monthly_cap=20),
    Activity.EVENT_CHECKIN: Rule(3, _LIFE),
    Activity.MEETING_BRANCH_ASSEMBLY: Rule(5, _LIFE),
    Activity.MEETING_COMMITTEE: Rule(3, _LIFE),
    Activity.MEETING_GROUP_MEETING: Rule(3, _LIFE),
    Activity.MEETING_PARTY_LECTURE: Rule(3, _LIFE),
    Activity.MEETING_THEME_DAY: Rule(3, _LIFE),
    Activity.MEETING_LIFE_MEETING: Rule(5, _LIFE),
    Activity.MEETING_DEMOCRATIC_REVIEW: Rule(5, _LIFE),
    Activity.MEETING_ABSENCE: Rule(-5, _LIFE),
    Activity.VOLUNTEER_HOURS: Rule(2, _SERVICE, yearly_cap=100, per_hour=True),
    Activity.DEED_VOLUNTEER: Rule(5, _SERVICE, monthly_cap=20, yearly_cap=100),
    Activity.DEED_PAIRING: Rule(5, _SERVICE, monthly_cap=20, yearly_cap=100),
    Activity.DEED_ADVICE: Rule(5, _PIONEER, monthly_cap=20, yearly_cap=60),
    Activity.DEED_PIONEER: Rule(10, _PIONEER, monthly_cap=30, yearly_cap=100),
    Activity.DEED_OTHER: Rule(3, _PIONEER, monthly_cap=10, yearly_cap=30),
}

DEFAULT_WEIGHTS: dict[str, float] = {_STUDY: 0.3, _LIFE: 0.3, _SERVICE: 0.2, _PIONEER: 0.2}
