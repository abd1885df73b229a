"""Markdown to safe HTML for lesson pages.

markdown-it-py with raw HTML turned off: any ``<script>`` an author pastes is
shown as text, and its link validation refuses ``javascript:`` and the like.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}) \
        .enable("table").enable("strikethrough")


def markdown_to_html(text: str) -> str:
    rendered: str = _renderer().render(text)
    return rendered
