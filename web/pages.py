"""HTML pages: the chat (twin of POST /api/ask) and an article with a highlighted span (twin of /api/articles)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from qa import QAService, QuestionError
from qa.payload import (
    SENTENCE_LIKE,
    UNSURE,
    by_article,
    cited_as,
    published_window,
    score_help,
    score_label,
    to_response,
)

from .connection import while_connected

LISTED = 200  # articles named in the chat's side list, newest first; GET /api/articles pages through the rest


def highlight(text: str, start: int | None, end: int | None) -> list[tuple[str, bool]]:
    """`text` cut into (piece, highlighted) parts; an out-of-range span highlights nothing."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return [(text, False)]
    return [(text[:start], False), (text[start:end], True), (text[end:], False)]


class PageController(Controller):
    include_in_schema = False

    @get("/")
    async def chat(
        self,
        request: Request,
        qa: NamedDependency[QAService],
        q: FromQuery[str | None] = None,
        h: FromQuery[list[str] | None] = None,
        since: FromQuery[str] = "",
        until: FromQuery[str] = "",
    ) -> Template:
        """The chat; `?q=` answers on the server, for browsers without JavaScript (`since` / `until`: the
        publication dates to search, as in POST /api/ask). A question whose browser has gone is dropped."""
        return await while_connected(request, lambda wanted: chat_page(qa, q, h, since, until, wanted))

    @get("/articles/{article_id:str}", sync_to_thread=True)
    def article(
        self,
        article_id: FromPath[str],
        qa: NamedDependency[QAService],
        start: FromQuery[int | None] = None,
        end: FromQuery[int | None] = None,
    ) -> Template:
        article = qa.article(article_id)  # UnknownArticle: the app's error page (404)
        return Template("article.html", context={"article": article, "parts": highlight(article.text, start, end)})


def chat_page(
    qa: QAService, q: str | None, h: list[str] | None, since: str, until: str, wanted: Callable[[], bool]
) -> Template:
    """The chat page, with the answer to `q` when there is one (`wanted`: whether its browser still waits)."""
    history = (h or [])[-qa.settings.max_history :]
    context = {
        "question": q or "",
        "history": history,
        "since": since,
        "until": until,
        "result": None,
        "error": None,
        "highlight": highlight,
        "score_label": score_label,
        "score_help": score_help(qa.settings.answerer),
        "cited_as": cited_as,
        "by_article": by_article,
        "sentence_like": SENTENCE_LIKE,
        "unsure": UNSURE,
        "published_window": published_window,
        "max_chars": qa.settings.max_question_chars,
        "examples": [q.strip() for q in qa.settings.examples.split("|") if q.strip()],
        "answerer": qa.settings.answerer,
        "articles": qa.newest(LISTED),
        "article_count": len(qa.titles()),
    }
    if q is not None:
        try:
            context["result"] = to_response(qa.ask(q, history=history, since=since, until=until, wanted=wanted))
            context["result_json"] = asdict(context["result"])  # the script adds it to the stored chat
        except QuestionError as exc:
            context["error"] = str(exc)
    return Template("chat.html", context=context, status_code=400 if context["error"] else 200)
