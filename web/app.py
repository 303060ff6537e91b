"""The only place the Litestar app is built: `create_app(settings=None, qa=None)`."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from anyio import to_thread
from litestar import Litestar, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ClientException, SerializationException
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import File, Template
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from qa import QAService, QuestionError, Settings, UnknownArticle
from qa.errors import Abandoned, ArticleError, Busy, FeedbackError, FeedbackUnavailable, IndexStateError, QAError

from .api import ADMIN, ApiController
from .docs import LocalSwagger, assets_router
from .pages import PageController
from .security import body_deadline, clipped, feedback_limit, head_as_get, rate_limit, security_headers

HERE = Path(__file__).parent
log = logging.getLogger("web")
MAX_BODY_BYTES = 256 * 1024


def provide_qa(state: State) -> QAService:
    return state.qa


def public(message: str, index_dir: Path) -> str:
    """An index problem as anyone may read it: the directory named by its name alone, FAISS's C++ internals cut
    (the server log keeps the whole message)."""
    message = message.replace(str(Path(index_dir).resolve()), index_dir.name).replace(str(index_dir), index_dir.name)
    return re.sub(r"Error in faiss::.*", "FAISS could not read it", message, flags=re.DOTALL)


@get("/health", include_in_schema=False, sync_to_thread=True)
def health(qa: NamedDependency[QAService]) -> Response:
    """200 while an index generation is being served (status "degraded" if a newer one is broken), else 503; each
    worker or Ray Serve replica answers for itself (`process`: its process id)."""
    status = qa.status()
    s = qa.settings
    if status["index_error"]:
        status["index_error"] = public(status["index_error"], s.index_dir)
    models = {
        "model": s.model,
        "reader": s.reader,
        "second_reader": s.second_reader,
        "reader_backend": s.reader_backend,
    }
    body = {**status, **models, "process": os.getpid()}
    return Response(body, status_code=503 if status["status"] == "no index" else 200)


@get("/favicon.ico", include_in_schema=False, sync_to_thread=False)
def favicon() -> File:
    return File(HERE / "static" / "favicon.svg", content_disposition_type="inline", media_type="image/svg+xml")


OTHER_THREADS = 16  # worker threads beyond `max_pending` questions: pages, articles, health stay served under load

TITLES = {
    400: "Bad request",
    404: "Not found",
    499: "The question was dropped",
    500: "Something went wrong",
    503: "The index is unavailable",
}
STATUS = {  # the HTTP status of each error the service raises on purpose (first match); any other: a 500
    QuestionError: 400,
    ArticleError: 400,
    FeedbackError: 400,
    UnknownArticle: 404,
    FeedbackUnavailable: 503,
    IndexStateError: 503,
    Busy: 503,
    Abandoned: 499,  # nginx's "client closed request": no one reads it, but the access log says what happened
}


class Refusals:
    """Busy refusals, logged at most once every `seconds` with how many there were: an overload must not also
    flood the log, one line per refused question."""

    def __init__(self, seconds: float = 10.0):
        self.seconds, self.count, self.since, self.lock = seconds, 0, 0.0, threading.Lock()

    def note(self, detail: str) -> None:
        with self.lock:
            self.count += 1
            now = time.monotonic()
            if now - self.since < self.seconds:
                return
            count, self.count, self.since = self.count, 0, now
        log.warning("busy: %d question(s) refused with 503 since the last such line (now: %s)", count, detail)


refusals = Refusals()


def error_page(status: int, detail: str, title: str = "", headers: dict | None = None) -> Template:
    context = {"title": title or TITLES[status], "detail": detail}
    return Template("error.html", context=context, status_code=status, headers=headers)


def _error(status: int):
    """JSON errors for the API, an HTML page for the browser routes; an index problem (503) is logged whole and
    told without the server's paths."""

    def handler(request: Request, exc: Exception) -> Response | Template:
        detail = str(exc)
        if status == 499:
            log.info("%s %s: 499, %s", request.method, request.url.path, detail)
        busy = isinstance(exc, Busy)  # says when to come back
        if busy:
            refusals.note(detail)
        elif status == 503:
            log.warning("%s %s: 503, %s", request.method, request.url.path, detail)
            detail = public(detail, request.app.state.qa.settings.index_dir)
        headers = {"Retry-After": str(Busy.retry_after)} if busy else None
        if request.url.path.startswith("/api/"):
            return Response({"status_code": status, "detail": clipped(detail)}, status_code=status, headers=headers)
        return error_page(status, clipped(detail), "Too many questions at once" if busy else "", headers)

    return handler


def _qa_error(request: Request, exc: QAError) -> Response | Template:
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), None)
    return _error(status)(request, exc) if status else _internal_error(request, exc)


def _internal_error(request: Request, exc: Exception) -> Response | Template:
    """A failure this app did not foresee: its traceback goes to the log, and the client gets a 500 that gives
    nothing of the server away."""
    log.error("%s %s: 500, %s: %s", request.method, request.url.path, type(exc).__name__, exc, exc_info=exc)
    return _error(500)(request, RuntimeError("the server failed to answer this request; its log says why"))


def _client_error(request: Request, exc: ClientException) -> Response:
    """Litestar's 4xx errors, with undecodable bodies named as such."""
    detail = exc.detail
    if isinstance(exc.__cause__, SerializationException):
        detail = f"request body is not valid JSON: {exc.detail}"
    elif exc.status_code == 413:
        detail = f"request body is larger than the {MAX_BODY_BYTES}-byte limit"
    body = {"status_code": exc.status_code, "detail": clipped(detail)}
    if exc.extra:
        body["extra"] = exc.extra
    return Response(body, status_code=exc.status_code, headers=exc.headers)


def create_app(settings: Settings | None = None, qa: QAService | None = None) -> Litestar:
    """The web app over `qa` (or a QAService from `settings`, else from QA_* env vars), built once."""
    settings = qa.settings if qa else settings or Settings.from_env(os.environ)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        service = qa or QAService(settings)
        threads = to_thread.current_default_thread_limiter()  # every question waits for its answer on a thread
        threads.total_tokens = max(threads.total_tokens, settings.max_pending + OTHER_THREADS)
        try:
            await to_thread.run_sync(service.ensure_index)
            await to_thread.run_sync(service.warm_up)  # load the models and the index before the first request
        except IndexStateError as exc:  # serve /health and error pages; the index may be rebuilt meanwhile
            log.error("%s", exc)
        app.state.qa = service
        yield

    limits = (rate_limit(settings.rate_limit), feedback_limit(settings.feedback_rate_limit))
    app = Litestar(
        route_handlers=[
            ApiController,
            PageController,
            health,
            favicon,
            create_static_files_router(path="/static", directories=[HERE / "static"], include_in_schema=False),
            assets_router(),
        ],
        middleware=[body_deadline(settings.body_timeout), *(c.middleware for c in limits if c)],
        before_send=[security_headers],
        dependencies={"qa": Provide(provide_qa, sync_to_thread=False)},
        lifespan=[lifespan],
        template_config=TemplateConfig(directory=HERE / "templates", engine=JinjaTemplateEngine),
        openapi_config=OpenAPIConfig(
            title="News QA",
            version="0.1.0",
            path="/schema",
            render_plugins=[LocalSwagger()],
            use_handler_docstrings=True,  # each route's docstring is its description in Swagger UI
            components=Components(security_schemes={ADMIN: SecurityScheme(type="http", scheme="bearer")}),
        ),
        exception_handlers={
            QAError: _qa_error,
            ClientException: _client_error,
            500: _internal_error,
        },
        request_max_body_size=MAX_BODY_BYTES,
    )
    app.asgi_handler = head_as_get(app.asgi_handler)  # around the router: a HEAD finds the GET route
    return app
