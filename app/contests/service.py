"""Knowledge contests (知识竞赛): a bank, a time window, and the best attempt per member.

While a contest runs, ``答题`` draws from its bank (see
:func:`app.quiz_play.service.start`), up to ``max_attempts`` times per member.
A member's result is their best attempt: most correct answers, then the
shortest time. Ranks are shared on equal (correct, seconds).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import exports
from app.errors import InvalidInput, NotFound
from app.models.member import Member
from app.models.org import Org, RosterEntry
from app.models.quiz import Contest, QuizAttempt, QuizBank
from app.orgs.scope import EVERYTHING, OrgScope, require_org_in_scope
from app.orgs.service import full_names

__all__ = ["ContestResult", "create_contest", "get_contest", "list_contests", "results",
           "results_xlsx"]


def create_contest(
    session: Session, *, title: str, bank_id: int, starts_at: datetime, ends_at: datetime,
    question_count: int, seconds_per_question: int | None, max_attempts: int, now: datetime,
) -> Contest:
    problems = []
    bank = session.get(QuizBank, bank_id)
    if bank is None or bank.state != "ready":  # an import under way is no bank yet
        problems.append({"field": "bank_id", "message": f"no quiz bank {bank_id}"})
    elif question_count > bank.question_count:
        problems.append({"field": "question_count",
                         "message": f"the bank has only {bank.question_count} questions"})
    if ends_at <= starts_at:
        problems.append({"field": "ends_at", "message": "must be after starts_at"})
    if problems:
        raise InvalidInput("invalid contest: " + ", ".join(p["field"] for p in problems),
                           errors=problems)
    contest = Contest(title=title, bank_id=bank_id, starts_at=starts_at, ends_at=ends_at,
                      question_count=question_count, seconds_per_question=seconds_per_question,
                      max_attempts=max_attempts, created_at=now)
    session.add(contest)
    session.flush()
    return contest


def list_contests(session: Session) -> Sequence[Contest]:
    return session.scalars(select(Contest).order_by(Contest.starts_at.desc())).all()


def get_contest(session: Session, contest_id: int) -> Contest:
    contest = session.get(Contest, contest_id)
    if contest is None:
        raise NotFound(f"no contest {contest_id}")
    return contest


@dataclass(frozen=True, slots=True)
class ContestResult:
    rank: int
    member_id: int
    name: str | None
    branch: str | None
    correct: int
    total: int
    seconds: float
    attempts: int
    finished_at: datetime | None


def results(session: Session, contest_id: int, *, org_id: int | None = None,
            scope: OrgScope = EVERYTHING) -> list[ContestResult]:
    """Each member's best attempt in the contest, best first; optionally the members bound
    to one org's subtree, and only those ``scope`` covers. ``branch`` is a bound member's
    roster org (full name)."""
    get_contest(session, contest_id)
    query = (select(QuizAttempt, func.coalesce(RosterEntry.name, Member.name),
                    RosterEntry.org_id)
             .join(Member, Member.id == QuizAttempt.member_id)
             .outerjoin(RosterEntry, RosterEntry.member_id == Member.id)
             .where(QuizAttempt.contest_id == contest_id, QuizAttempt.answered > 0,
                    scope.holds_member(QuizAttempt.member_id)))
    if org_id is not None:
        subtree = require_org_in_scope(session, scope, org_id).path
        query = query.where(RosterEntry.org_id.in_(
            select(Org.id).where(Org.path.startswith(subtree, autoescape=True))))
    org_names = full_names(session)
    best: dict[int, tuple[QuizAttempt, str | None, str | None]] = {}
    tried: dict[int, int] = {}
    for attempt, shown_name, member_org in session.execute(query):
        tried[attempt.member_id] = tried.get(attempt.member_id, 0) + 1
        held = best.get(attempt.member_id)
        if held is None or _key(attempt) < _key(held[0]):
            best[attempt.member_id] = (attempt, shown_name, org_names.get(member_org)
                                       if member_org is not None else None)
    ordered = sorted(best.values(), key=lambda item: (_key(item[0]), item[0].member_id))
    board: list[ContestResult] = []
    for position, (attempt, name, member_branch) in enumerate(ordered, start=1):
        seconds = _seconds(attempt)
        same = board and (board[-1].correct, board[-1].seconds) == (attempt.correct, seconds)
        board.append(ContestResult(
            rank=board[-1].rank if same else position, member_id=attempt.member_id, name=name,
            branch=member_branch, correct=attempt.correct, total=len(attempt.question_ids),
            seconds=seconds, attempts=tried[attempt.member_id],
            finished_at=attempt.finished_at))
    return board


def _seconds(attempt: QuizAttempt) -> float:
    end = attempt.finished_at or attempt.last_activity_at
    return round((end - attempt.started_at).total_seconds(), 1)


def _key(attempt: QuizAttempt) -> tuple[int, float]:
    return -attempt.correct, _seconds(attempt)


def results_xlsx(session: Session, contest_id: int, scope: OrgScope = EVERYTHING) -> bytes:
    """The results as a one-sheet workbook, for the organizers' records."""
    contest = get_contest(session, contest_id)
    rows = [[row.rank, row.name or "（未登记）", row.branch, row.correct, row.total,
             row.seconds, row.attempts] for row in results(session, contest_id, scope=scope)]
    return exports.to_xlsx(exports.Sheet(
        ["名次", "姓名", "支部", "答对", "题数", "用时（秒）", "答题次数"], rows,
        title=contest.title, sheet_name="成绩"))
