"""Demo organisations and roster for ``hongxin demo-data``: a 党委 with three 支部.

Names are invented and phone numbers sit in 1380000 01xx, a block no real
member of a demo will hold. Orgs are found by name and people by phone, so a
second run adds nothing.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.org import Org, RosterEntry
from app.orgs.service import create_org

COMMITTEE = "红心示范党委"
BRANCHES = ("第一党支部", "第二党支部", "第三党支部")
# (name, branch index, 政治面貌, 入党日期, 党内职务)
PEOPLE = (
    ("林晓东", 0, "正式党员", date(2008, 7, 1), "书记"),
    ("陈雨桐", 0, "正式党员", date(2012, 6, 18), "组织委员"),
    ("赵明远", 0, "正式党员", date(2015, 10, 9), "宣传委员"),
    ("吴思琪", 0, "预备党员", date(2025, 12, 1), None),
    ("郑浩然", 0, "入党积极分子", None, None),
    ("王海波", 1, "正式党员", date(2006, 5, 4), "书记"),
    ("刘佳宁", 1, "正式党员", date(2010, 11, 20), "组织委员"),
    ("孙志强", 1, "正式党员", date(2018, 3, 12), "纪检委员"),
    ("周文静", 1, "发展对象", None, None),
    ("黄子涵", 1, "群众", None, None),
    ("何建国", 2, "正式党员", date(2001, 7, 1), "书记"),
    ("马丽娟", 2, "正式党员", date(2009, 9, 15), "组织委员"),
    ("杨光辉", 2, "正式党员", date(2016, 4, 22), "党小组长"),
    ("许梦瑶", 2, "预备党员", date(2026, 1, 8), None),
    ("罗一鸣", 2, "入党积极分子", None, None),
)


def demo_phone(number: int) -> str:
    return f"1380000{100 + number:04d}"


def _org(session: Session, name: str, parent_id: int | None, now: datetime) -> int:
    parent = Org.parent_id.is_(None) if parent_id is None else Org.parent_id == parent_id
    found = session.scalar(select(Org.id).where(parent, Org.name == name))
    return found if found is not None else create_org(session, name, now,
                                                      parent_id=parent_id).id


def load_demo_roster(session: Session, now: datetime) -> int:
    """Create the demo orgs and people that are missing; the number of people added."""
    committee = _org(session, COMMITTEE, None, now)
    branches = [_org(session, name, committee, now) for name in BRANCHES]
    known = set(session.scalars(select(RosterEntry.phone)))
    added = 0
    for number, (name, branch, status, joined_on, duty) in enumerate(PEOPLE, start=1):
        phone = demo_phone(number)
        if phone in known:
            continue
        session.add(RosterEntry(name=name, phone=phone, org_id=branches[branch], status=status,
                                joined_on=joined_on, duty=duty, member_id=None, created_at=now,
                                updated_at=now))
        added += 1
    session.flush()
    return added
