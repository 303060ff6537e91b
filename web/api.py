"""JSON API: ask a question, read an article."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from anyio import to_thread
from litestar import Controller, Request, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import ClientException, HTTPException
from litestar.params import FromPath, JSONBody, Parameter

from qa import QAService
from qa.ingest.fetch import FEED_TYPES, is_url
from qa.ingest.formats import from_record
from qa.payload import AskResponse, to_response
from qa.types import ArticleSummary

from .connection import while_connected
from .security import admin_only, shallow, strict_json

PAGE, MAX_PAGE = 100, 1000  # articles per page of GET /api/articles: default and most
MAX_OFFSET = 10**15  # past any collection, and inside SQLite's 64-bit integers
ADMIN = "adminToken"  # the OpenAPI security scheme of the routes that change the index: a bearer token
UPLOAD_BYTES = 8 * 1024 * 1024  # body of POST /api/articles (each article is also held to max_article_bytes)


@dataclass
class AskRequest:
    question: str
    k: int | None = None
    history: list[str] = field(default_factory=list)
    since: str | None = None  # YYYY-MM-DD: only articles published on or after it
    until: str | None = None  # YYYY-MM-DD: only articles published on or before it


@dataclass
class Quote:
    article_id: str
    start: int
    end: int


@dataclass
class FeedbackRequest:
    question: str
    answer: str
    citation: Quote  # as the answer gave it: the article's text[start:end] is the answer
    verdict: Literal["correct", "wrong"]


@dataclass(frozen=True)
class FeedbackStored:
    id: int


@dataclass(frozen=True)
class IndexChange:
    added: list[str]
    updated: list[str]
    unchanged: list[str]  # same content as indexed: nothing written
    removed: list[str]
    chunks: int  # chunks embedded

    @classmethod
    def of(cls, report) -> IndexChange:
        return cls(report.added, report.updated, report.unchanged, report.removed, report.chunks)


@dataclass(frozen=True)
class ArticleList:
    total: int  # articles in the index
    offset: int
    limit: int
    articles: list[ArticleSummary]  # in id order


@dataclass(frozen=True)
class ArticleView:
    id: str
    title: str
    text: str
    file: str  # the file it was indexed from (name only)
    published: str  # ISO 8601 date or date-time; "" where the article has none, as for the rest
    url: str
    source: str  # the outlet that published it
    authors: list[str]


def json_body(model: type, sync: bool = True) -> dict:
    """Options of a POST route whose body must be exactly `model` as JSON (checked before the handler runs); a
    `sync` handler runs on a worker thread."""
    options = {"before_request": strict_json(model)}
    return {**options, "sync_to_thread": True} if sync else options


class ApiController(Controller):
    path = "/api"
    tags = ["api"]

    @post("/ask", status_code=200, summary="Answer a question from the articles", **json_body(AskRequest, sync=False))
    async def ask(self, request: Request, data: JSONBody[AskRequest], qa: NamedDependency[QAService]) -> AskResponse:
        """Extractive answers with citations (`article.text[start:end] == text`); no answers means abstain.
        `history` holds the earlier questions of the conversation, oldest first: a follow-up ("what did he say?",
        "and the British one?", "who else?") is read with them, and `interpreted` says how it was read."""
        ask = partial(qa.ask, data.question, data.k, data.history, data.since or "", data.until or "")
        return to_response(await while_connected(request, lambda wanted: ask(wanted=wanted)))

    @post("/feedback", status_code=201, summary="Mark a shown answer correct or wrong", **json_body(FeedbackRequest))
    def feedback(self, data: JSONBody[FeedbackRequest], qa: NamedDependency[QAService]) -> FeedbackStored:
        """Stored with a timestamp, for `qa feedback export`; rate-limited per client (`feedback_rate_limit`)."""
        c = data.citation
        return FeedbackStored(qa.feedback(data.question, data.answer, c.article_id, c.start, c.end, data.verdict))

    @post(
        "/articles",
        status_code=201,
        guards=[admin_only],
        security=[{ADMIN: []}],
        request_max_body_size=UPLOAD_BYTES,
        summary="Add or update an article (admin token)",
    )
    async def add_article(self, request: Request, qa: NamedDependency[QAService]) -> IndexChange:
        """JSON `{id?, title, text, published?, url?, source?, authors?}`, JSON `{fetch, full_text?}` (the http(s)
        address of a news page or feed, fetched from public servers only; `full_text`: read each feed entry
        from its page), an RSS or Atom document, or a multipart upload (field `file`) of a .txt, .md, .html,
        .jsonl or feed file; written as `qa index add` writes (atomically; articles already indexed unchanged
        are skipped)."""
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media == "application/json":
            body = await request.body()
            shallow(request, body)
            try:
                record = msgspec.json.decode(body)
            except msgspec.DecodeError as exc:
                raise ClientException(f"request body is not valid JSON: {exc}") from None
            if isinstance(record, dict) and "fetch" in record:  # a page or feed to fetch, from public servers only
                address, full_text = _to_fetch(record)
                report = await to_thread.run_sync(lambda: qa.add(address, full_text=full_text, public=True))
            else:
                article = from_record(record, "request body", qa.settings.max_article_bytes)
                report = await to_thread.run_sync(qa.add_articles, [article])
        elif media in FEED_TYPES:  # an RSS or Atom document as the body
            report = await to_thread.run_sync(qa.add_upload, "feed.xml", await request.body())
        elif media == "multipart/form-data":
            upload = (await request.form()).get("file")
            if not isinstance(upload, UploadFile):
                raise ClientException('send the article file in a multipart field named "file"')
            data = await upload.read()
            report = await to_thread.run_sync(qa.add_upload, upload.filename, data)
        else:
            detail = "send JSON (application/json), a feed (application/rss+xml, application/atom+xml) or a file"
            raise HTTPException(status_code=415, detail=f"{detail} (multipart/form-data)")
        return IndexChange.of(report)

    @delete(
        "/articles/{article_id:str}",
        status_code=200,
        guards=[admin_only],
        security=[{ADMIN: []}],
        sync_to_thread=True,
        summary="Remove an article (admin token)",
    )
    def remove_article(self, article_id: FromPath[str], qa: NamedDependency[QAService]) -> IndexChange:
        """Remove an article (admin token); 404 when there is none with that id."""
        return IndexChange.of(qa.remove(article_id))

    @get("/articles", sync_to_thread=True, summary="List indexed articles, a page at a time")
    def articles(
        self,
        qa: NamedDependency[QAService],
        offset: Annotated[int, Parameter(ge=0, le=MAX_OFFSET, description="articles to skip, in id order")] = 0,
        limit: Annotated[int, Parameter(ge=1, le=MAX_PAGE, description="most articles returned")] = PAGE,
    ) -> ArticleList:
        """Ids, titles and lengths in characters (no text; `GET /api/articles/{id}` has it)."""
        return ArticleList(len(qa.titles()), offset, limit, qa.articles(offset, limit))

    @get("/articles/{article_id:str}", sync_to_thread=True, summary="One article's text and metadata")
    def article(self, article_id: FromPath[str], qa: NamedDependency[QAService]) -> ArticleView:
        """The text that answers' `start` / `end` offsets index, with its date, URL, outlet and authors."""
        a = qa.article(article_id)
        origin = a.origin if is_url(a.origin) else Path(a.origin).name  # a fetched article: its address
        return ArticleView(a.id, a.title, a.text, origin, a.published, a.url, a.outlet, list(a.authors))


def _to_fetch(record: dict) -> tuple[str, bool]:
    """The address and `full_text` flag of a `{fetch, full_text?}` request, or a 400 naming what is wrong."""
    unknown = sorted(set(record) - {"fetch", "full_text"})
    if unknown:
        raise ClientException(f"a fetch request takes only fetch and full_text, not {', '.join(unknown)}")
    address, full_text = record["fetch"], record.get("full_text", False)
    if not is_url(address) or not isinstance(full_text, bool):
        raise ClientException("fetch must be an http(s) address and full_text true or false")
    return address, full_text
