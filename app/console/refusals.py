"""Console refusals a person should read: a Chinese sentence and where to go back to."""

from __future__ import annotations

from typing import ClassVar

from app.errors import AppError


class ConsoleRefusal(AppError):
    """A console action refused for a reason the organizer should read; ``message`` is
    Chinese and ``back`` where the error page leads back to."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "conflict"

    def __init__(self, message: str, back: str) -> None:
        super().__init__(message)
        self.back = back


class ConsoleForbidden(ConsoleRefusal):
    """A page or action the signed-in role may not use."""

    status: ClassVar[int] = 403
    code: ClassVar[str] = "forbidden"
