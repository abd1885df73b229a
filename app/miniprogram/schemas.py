from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class LoginIn(BaseModel):
    code: str = Field(min_length=1, max_length=128, description="the code from wx.login()")


class LoginOut(BaseModel):
    token: str
    expires_at: datetime
