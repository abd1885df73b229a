"""The callback's own statements, as hand-written SQL on the session's driver connection.

Every callback claims its delivery, touches its member and stores its reply;
many also save the member's conversation. The same statements through
SQLAlchemy (built once, run through the session) made a callback cost much
more CPU than these strings run by :class:`app.rawsql.RawSQL` (bench/NOTES.md
has the A/B), so these few stay hand-written, here in the database layer.
Everything else is ordinary SQLAlchemy.

On PostgreSQL the claims of a batch's callbacks and the touches of their
members go out as one statement (:class:`Claim`).
The stored reply and the saved conversation are deferred (see
:meth:`RawSQL.defer`): they travel with the COMMIT.

One bot read is here too, for the same reason: ``积分``'s total, rank and last
ledger lines (:func:`points_standing`), one statement over the kept totals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.rawsql import DeclaredStatement, RawSQL
from bots import MemberView

# What the conversation needs of a member, in _member_view's order.
_MEMBER_COLUMNS = ("id", "name", "phone", "branch", "subscribed", "daily_push", "conversation")
# Only some messages open the 48-hour customer-service window; the others must
# still return the row, hence the no-op update. New members get the daily
# lesson push (opt-out, see the 20261205 migration).
_CHANGE = {True: "last_interaction_at = excluded.last_interaction_at",
           False: "openid = excluded.openid"}
# {rows}, here and in _CLAIM_OF: a VALUES list (SQLite), or a SELECT (PostgreSQL,
# _CLAIM_AND_TOUCH_ROWS).
_TOUCH_OF = """
INSERT INTO members (openid, first_seen_at, last_interaction_at, subscribed, daily_push)
{rows}
ON CONFLICT (openid) DO UPDATE SET {change}
RETURNING {returning}
"""
# SQLite: the touch and the claim (_CLAIM), each a statement of its own.
_TOUCH = {opens: _TOUCH_OF.format(rows="VALUES (:openid, :now, :now, :yes, :yes)",
                                  change=change, returning=", ".join(_MEMBER_COLUMNS))
          for opens, change in _CHANGE.items()}
_SAVE_CONVERSATION = "UPDATE members SET conversation = :conversation WHERE id = :id"
_SET_FIELD = {field: f"UPDATE members SET {field} = :value WHERE id = :id"  # noqa: S608 - fixed names
              for field in ("name", "phone", "branch", "subscribed")}

_CLAIM_OF = """
INSERT INTO inbound_messages (dedup_key, nonce_key, body_digest, received_at, reply)
{rows}
ON CONFLICT DO NOTHING
RETURNING dedup_key
"""
_CLAIM = _CLAIM_OF.format(rows="VALUES (:dedup_key, :nonce_key, :body_digest, :received_at, NULL)")
_EARLIER = """
SELECT dedup_key, nonce_key, body_digest, reply FROM inbound_messages
WHERE dedup_key = :dedup_key OR nonce_key = :nonce_key
"""
_RECORD_REPLY = "UPDATE inbound_messages SET reply = :reply WHERE dedup_key = :dedup_key"

# PostgreSQL: the claims and member touches of the callbacks committed together,
# in one statement (a DeclaredStatement with as_row): a claimed delivery's member
# row, led by its ordinal among the deliveries; none for a delivery an earlier
# one holds. A batch's rows never share a dedup key, a nonce or an openid.
_CLAIM_AND_TOUCH_ROWS = """
WITH delivered AS (
    SELECT * FROM ROWS FROM (json_to_recordset(:rows) AS (
        dedup_key text, nonce_key text, body_digest text, received_at timestamptz, openid text))
    WITH ORDINALITY AS delivered (dedup_key, nonce_key, body_digest, received_at, openid, ordinal)
), claimed AS ({claim}), touched AS ({touch})
SELECT delivered.ordinal, {touched} FROM delivered JOIN touched USING (openid)
"""
_CLAIM_AND_TOUCH = {
    opens: _CLAIM_AND_TOUCH_ROWS.format(
        claim=_CLAIM_OF.format(
            rows="SELECT dedup_key, nonce_key, body_digest, received_at, NULL FROM delivered"),
        touch=_TOUCH_OF.format(
            rows="SELECT openid, received_at, received_at, TRUE, TRUE\n"
                 "FROM delivered JOIN claimed USING (dedup_key)",
            change=change, returning=", ".join(("openid", *_MEMBER_COLUMNS))),
        touched=", ".join(f"touched.{column}" for column in _MEMBER_COLUMNS))
    for opens, change in _CHANGE.items()}


# The member's total, the members ahead (from the counts of members per total),
# all members with points, and the latest ledger lines that moved the total: one
# row per line, or one row without a line. The balance is looked up twice rather
# than referenced from the outer row: a correlated count would run once per line.
# The lines come from the index on (member_id, created_at, id, delta, activity)
# alone, newest first.
_POINTS_STANDING_OF = """
WITH recent AS (
    SELECT id, created_at, activity, delta FROM points_entries
    WHERE member_id = :member_id AND delta <> 0
    ORDER BY created_at DESC, id DESC LIMIT :recent
)
SELECT (SELECT total FROM points_balances WHERE member_id = :member_id),
       (SELECT COALESCE(SUM(members), 0) FROM points_total_counts
        WHERE total > (SELECT total FROM points_balances WHERE member_id = :member_id)),
       ({members_with_points}),
       recent.created_at, recent.activity, recent.delta
FROM (SELECT 1 AS one) AS asked LEFT JOIN recent ON 1 = 1
ORDER BY recent.created_at DESC, recent.id DESC
"""
# The members with points, by is_postgres: SQLite counts a table's rows from its
# b-tree pages without reading them, faster than adding up the counts per total;
# PostgreSQL would read every balance.
_MEMBERS_WITH_POINTS = {False: "SELECT COUNT(*) FROM points_balances",
                        True: "SELECT COALESCE(SUM(members), 0) FROM points_total_counts"}
_POINTS_STANDING = {
    is_postgres: _POINTS_STANDING_OF.format(members_with_points=members_with_points)
    for is_postgres, members_with_points in _MEMBERS_WITH_POINTS.items()}
# The same read by openid, for turns to declare before they know their members' ids
# (PostgreSQL; a DeclaredStatement with as_row): the batch's reads go out as one
# statement, each member's rows led by its ordinal. Every lookup is by an index,
# whatever the planner estimates of the JSON rows (a subquery, and LIMIT 1 in
# the lateral one, keep them from becoming joins over whole tables), and each
# member's standing is worked out once (MATERIALIZED), not once per ledger line.
_POINTS_STANDINGS_BY_OPENID = f"""
WITH asked AS (
    SELECT ordinal, recent, (SELECT id FROM members WHERE openid = given.openid) AS member_id
    FROM ROWS FROM (json_to_recordset(:rows) AS (openid text, recent integer))
    WITH ORDINALITY AS given (openid, recent, ordinal)
), standing AS MATERIALIZED (
    SELECT asked.ordinal, asked.recent, asked.member_id, balance.total,
           (SELECT COALESCE(SUM(members), 0) FROM points_total_counts
            WHERE total > balance.total) AS ahead
    FROM asked LEFT JOIN LATERAL (
        SELECT total FROM points_balances WHERE member_id = asked.member_id LIMIT 1
    ) AS balance ON TRUE
)
SELECT standing.ordinal, standing.total, standing.ahead, ({_MEMBERS_WITH_POINTS[True]}),
       recent.created_at, recent.activity, recent.delta
FROM standing LEFT JOIN LATERAL (
    SELECT id, created_at, activity, delta FROM points_entries
    WHERE member_id = standing.member_id AND delta <> 0
    ORDER BY created_at DESC, id DESC LIMIT standing.recent
) AS recent ON TRUE
ORDER BY standing.ordinal, recent.created_at DESC, recent.id DESC
"""  # noqa: S608 - fixed text


@dataclass(frozen=True, slots=True)
class PointsStanding:
    total: int | None  # None: the member has never had a ledger line
    members_ahead: int
    members: int  # members with a ledger line
    recent: list[tuple[datetime, str, int]]  # (created_at, activity, delta), latest first


@dataclass(frozen=True, slots=True)
class Delivered:
    """An earlier delivery that has the same dedup key or the same nonce."""

    dedup_key: str
    nonce_key: str
    body_digest: str
    reply: str | None  # None while that delivery is being handled


class Claim:
    """A delivery's claim, and the touch of its member that comes with it.

    On PostgreSQL it is one statement (:attr:`statement`), which the unit of
    work declares as its first: it may run ahead with its batch's claims.
    """

    __slots__ = ("body_digest", "dedup_key", "nonce_key", "now", "openid", "opens_window",
                 "statement")

    def __init__(self, *, dedup_key: str, nonce_key: str, body_digest: str, now: datetime,
                 openid: str, opens_window: bool) -> None:
        self.dedup_key = dedup_key
        self.nonce_key = nonce_key
        self.body_digest = body_digest
        self.now = now
        self.openid = openid
        self.opens_window = opens_window
        row = {"dedup_key": dedup_key, "nonce_key": nonce_key, "body_digest": body_digest,
               "received_at": now, "openid": openid}
        self.statement = DeclaredStatement(_CLAIM_AND_TOUCH[opens_window], row,
                                           keys=(dedup_key, nonce_key, openid), as_row=True)


def claim_and_touch_member(sql: RawSQL, claim: Claim) -> MemberView | None:
    """Claim the delivery and touch its member; None when an earlier delivery holds the claim.

    Insert-or-ignore on the unique keys decides, so two deliveries racing in
    two processes cannot both win; on PostgreSQL the loser waits for the
    winner's transaction.
    """
    if sql.is_postgres:
        row = sql.declared_row(claim.statement)
        return None if row is None else _member_view(sql, claim.openid, row)
    now = sql.time(claim.now)
    claimed = sql.one(_CLAIM, {"dedup_key": claim.dedup_key, "nonce_key": claim.nonce_key,
                               "body_digest": claim.body_digest, "received_at": now})
    if claimed is None:
        return None
    row = sql.one(_TOUCH[claim.opens_window], {"openid": claim.openid, "now": now, "yes": True})
    assert row is not None  # an upsert with RETURNING always yields the row
    return _member_view(sql, claim.openid, row)


def _member_view(sql: RawSQL, openid: str, row: tuple[Any, ...]) -> MemberView:
    member_id, name, phone, branch, subscribed, daily_push, conversation = row
    return MemberView(
        id=member_id, openid=openid, name=name, phone=phone, branch=branch,
        subscribed=bool(subscribed), daily_push=bool(daily_push),
        conversation=sql.from_json(conversation),
    )


def points_standing(sql: RawSQL, member_id: int, recent: int,
                    declared: DeclaredStatement | None = None) -> PointsStanding:
    """``declared``: the same read of the same member, declared by the turn
    (:func:`points_standing_by_openid`): its rows, if it went ahead with the batch."""
    rows = None if declared is None else sql.rows_sent_ahead(declared)
    if rows is None:
        rows = sql.execute(_POINTS_STANDING[sql.is_postgres],
                           {"member_id": member_id, "recent": recent}).fetchall()
    total, ahead, members = rows[0][:3]
    lines = [(sql.from_time(at), activity, delta) for _, _, _, at, activity, delta in rows
             if at is not None]
    return PointsStanding(total, int(ahead), int(members), lines)


def points_standing_by_openid(openid: str, recent: int) -> DeclaredStatement:
    """:func:`points_standing`'s read, declared before the turn: it may go out with the claims."""
    return DeclaredStatement(_POINTS_STANDINGS_BY_OPENID, {"openid": openid, "recent": recent},
                             keys=(openid,), as_row=True)


def earlier_deliveries(sql: RawSQL, dedup_key: str, nonce_key: str) -> list[Delivered]:
    rows = sql.execute(_EARLIER, {"dedup_key": dedup_key, "nonce_key": nonce_key}).fetchall()
    return [Delivered(*row) for row in rows]


def record_reply(sql: RawSQL, dedup_key: str, reply: str) -> None:
    sql.defer(_RECORD_REPLY, {"reply": reply, "dedup_key": dedup_key})


def save_conversation(sql: RawSQL, member_id: int, conversation: dict[str, Any] | None) -> None:
    sql.defer(_SAVE_CONVERSATION, {"conversation": sql.json(conversation), "id": member_id})


def set_member_field(sql: RawSQL, member_id: int, field: str, value: str | bool) -> None:
    """``field``: name, phone, branch or subscribed."""
    sql.defer(_SET_FIELD[field], {"value": value, "id": member_id})
