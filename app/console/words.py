"""The sensitive-word list (敏感词库) in the console: admins list, add, remove and test words."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy.orm import Session

from app.console.content import is_htmx, page, require_admin, require_unscoped_admin
from app.console.session import CheckedForm, ConsoleUser, ConsoleUserDep
from app.deps import EntityId, SessionDep
from app.moderation import words

router = APIRouter(prefix="/console/sensitive-words", tags=["console"])

MAX_PASTE = 20_000
MAX_TEST_TEXT = 2_000
WHAT = "管理敏感词库"


def _context(session: Session, user: ConsoleUser, **extra: Any) -> dict[str, Any]:
    require_admin(user, WHAT)
    return {"user": user, "words": words.list_words(session), "max_length": words.MAX_WORD_LENGTH,
            "added": None, "test": None, "error": None, **extra}


def add_result(session: Session, user: ConsoleUser, text: str) -> dict[str, Any]:
    require_unscoped_admin(user, WHAT)
    if not text.strip():
        return _context(session, user, error="请至少填写一个词。")
    if len(text) > MAX_PASTE:
        return _context(session, user, error=f"一次最多粘贴 {MAX_PASTE} 个字，请分批添加。")
    added = words.add_words(session, text, f"console:{user.principal.name}", datetime.now(UTC))
    return _context(session, user, added=added)


def test_result(session: Session, user: ConsoleUser, text: str) -> dict[str, Any]:
    require_admin(user, WHAT)
    if len(text) > MAX_TEST_TEXT:
        return _context(session, user, error=f"测试文字最多 {MAX_TEST_TEXT} 个字。")
    return _context(session, user, test={"text": text,
                                         "matches": words.banned_words(session, text)})


def remove_listed(session: Session, user: ConsoleUser, word_id: int) -> None:
    require_unscoped_admin(user, WHAT)
    words.remove_word(session, word_id, datetime.now(UTC))


@router.get("", response_class=HTMLResponse)
def word_list(request: Request, session: SessionDep, user: ConsoleUserDep) -> HTMLResponse:
    """The list, a box to add words and a box to test a text against the list."""
    return page(request, "words.html", _context(session, user))


@router.post("", response_class=HTMLResponse)
def add(request: Request, session: SessionDep, user: ConsoleUserDep,
        form: CheckedForm) -> HTMLResponse:
    """Add the pasted words; every process uses them from its next check."""
    context = add_result(session, user, form.get("words", ""))
    return page(request, "words.html", context, 422 if context["error"] else 200)


@router.post("/test", response_class=HTMLResponse)
def test(request: Request, session: SessionDep, user: ConsoleUserDep,
         form: CheckedForm) -> HTMLResponse:
    """Which listed words a text would match; nothing is stored."""
    context = test_result(session, user, form.get("text", ""))
    name = "words_test.html" if is_htmx(request) else "words.html"
    return page(request, name, context, 422 if context["error"] else 200)


@router.post("/{word_id}/delete")
def remove(word_id: EntityId, session: SessionDep, user: ConsoleUserDep,
           _form: CheckedForm) -> Response:
    """Take one word off the list."""
    remove_listed(session, user, word_id)
    return RedirectResponse("/console/sensitive-words", status_code=303)
