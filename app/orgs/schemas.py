from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class OrgIn(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    parent_id: int | None = Field(None, ge=1, le=2**63 - 1)
    kind: str | None = Field(None, max_length=16,
                             description="committee 党委, general_branch 党总支, branch 党支部, "
                                         "group 党小组; by default read from the name's ending")


class OrgPatch(BaseModel):
    """Only the fields given change; ``parent_id: null`` makes the org a root."""

    name: str | None = Field(None, min_length=1, max_length=64)
    parent_id: int | None = Field(None, ge=1, le=2**63 - 1)
    kind: str | None = Field(None, max_length=16)


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    kind: str | None
    parent_id: int | None


class OrgNodeOut(OrgOut):
    roster_count: int = Field(description="people on the roster in this org and below")
    bound_count: int = Field(description="of them, bound to a WeChat member")
    children: list[OrgNodeOut]
