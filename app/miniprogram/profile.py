"""``/api/mp/binding`` and ``/api/mp/profile``: the member's roster binding and own details."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.deps import SessionDep
from app.errors import errors_answered
from app.miniprogram.deps import CurrentMember
from app.roster import profile as service

router = APIRouter(prefix="/api/mp", tags=["mini-program"])


class BindingIn(BaseModel):
    name: str = Field(min_length=1, max_length=40)
    phone: str = Field(min_length=1, max_length=40)


class ProfileIn(BaseModel):
    """Only the fields given change; for members not on the roster."""

    name: str | None = Field(None, min_length=1, max_length=40)
    phone: str | None = Field(None, min_length=1, max_length=40)
    branch: str | None = Field(None, min_length=1, max_length=60)


class ProfileOut(BaseModel):
    bound: bool
    name: str | None
    phone: str | None = Field(description="masked, e.g. 138****0001")
    org: str | None = Field(description="the roster org's full name when bound")
    status: str | None = Field(description="政治面貌 when bound")
    duty: str | None
    branch: str | None = Field(description="the free-text branch of a member not bound")
    points: int


class BindingOut(ProfileOut):
    message: str | None = Field(description="why the member is not bound (app text); "
                                            "null when the binding succeeded")


@router.post("/binding", response_model=BindingOut, responses=errors_answered(429))
def bind(body: BindingIn, member: CurrentMember, session: SessionDep) -> BindingOut:
    """Bind to the roster entry with this name and phone; ``message`` says why not."""
    return BindingOut.model_validate(
        service.bind(session, member, body.name, body.phone, datetime.now(UTC)))


@router.get("/profile", response_model=ProfileOut)
def get_profile(member: CurrentMember, session: SessionDep) -> ProfileOut:
    """The member's details, with the roster's when bound."""
    return ProfileOut.model_validate(service.profile(session, member))


@router.put("/profile", response_model=ProfileOut, responses=errors_answered(409))
def put_profile(body: ProfileIn, member: CurrentMember, session: SessionDep) -> ProfileOut:
    """Set name, phone or branch; 409 for a bound member, whose details come from the roster."""
    changes = {field: value for field, value in body.model_dump(exclude_unset=True).items()
               if value is not None}
    return ProfileOut.model_validate(service.update_profile(session, member, changes))
