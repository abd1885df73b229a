"""All ORM models, imported here so ``Base.metadata`` is complete for Alembic."""

from app.models.access_token import AccessTokenRow
from app.models.base import Base
from app.models.callback import InboundMessage
from app.models.member import Member
from app.models.outbox import OutboxMessage
from app.models.points import PointsEntry
from app.models.token import ApiToken

__all__ = [
    "AccessTokenRow",
    "ApiToken",
    "Base",
    "InboundMessage",
    "Member",
    "OutboxMessage",
    "PointsEntry",
]
