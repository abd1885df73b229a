"""What an event is: an open activity, or one of the meetings of 组织生活 (三会一课).

The keys are the contract's; the labels are what members and organizers read.
"""

from __future__ import annotations

from typing import Literal, get_args

ACTIVITY = "activity"

EventKind = Literal["activity", "branch_assembly", "committee", "group_meeting",
                    "party_lecture", "theme_day", "life_meeting", "democratic_review"]

LABELS: dict[str, str] = {
    "activity": "活动",
    "branch_assembly": "支部党员大会",
    "committee": "支委会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "theme_day": "主题党日",
    "life_meeting": "组织生活会",
    "democratic_review": "民主评议党员",
}

MEETING_KINDS: frozenset[str] = frozenset(get_args(EventKind)) - {ACTIVITY}


def is_meeting(kind: str) -> bool:
    return kind in MEETING_KINDS
