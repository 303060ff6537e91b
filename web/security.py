"""HTTP hygiene: security headers on every response, strict JSON request bodies in time, an optional rate limit."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
import time
from collections.abc import Awaitable, Callable
from itertools import accumulate

import msgspec
from litestar import Request
from litestar.connection import ASGIConnection
from litestar.exceptions import ClientException, HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("web")

MAX_JSON_DEPTH = 32
MAX_DETAIL = 400  # characters of an error's detail sent back or logged: a bad value is named, not echoed whole
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKET = re.compile(rb"[\[\]{}]")


async def security_headers(message: Message, scope: Scope) -> None:
    """A `before_send` hook adding `HEADERS` to every HTTP response: errors (404, 405 included, which no route
    middleware sees) and static files too."""
    if scope["type"] == "http" and message["type"] == "http.response.start":
        present = {name.lower() for name, _ in message.get("headers", [])}
        message["headers"] = [*message.get("headers", []), *(h for h in HEADERS if h[0] not in present)]


def body_deadline(seconds: float) -> Callable[[ASGIApp], ASGIApp]:
    """ASGI middleware: a request's body must have arrived `seconds` after its headers, or the request ends with
    a 408 (a client that announces a body and never sends it would hold a connection and a worker's attention
    for as long as it likes)."""

    def middleware(app: ASGIApp) -> ASGIApp:
        async def bounded(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            deadline, complete = time.monotonic() + seconds, False

            async def receive_in_time() -> Message:
                nonlocal complete
                if complete:  # after the body: waiting for a disconnect is not bounded
                    return await receive()
                try:
                    message = await asyncio.wait_for(receive(), max(deadline - time.monotonic(), 0.001))
                except TimeoutError:
                    raise HTTPException(
                        status_code=408, detail=f"the request body did not arrive within {seconds:g} seconds"
                    ) from None
                complete = message["type"] != "http.request" or not message.get("more_body", False)
                return message

            await app(scope, receive_in_time, send)

        return bounded

    return middleware


def head_as_get(app: ASGIApp) -> ASGIApp:
    """ASGI middleware: HEAD on any route answers as GET would, headers only (Litestar routes GET alone, so
    monitors and link checkers that send HEAD got 405)."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app({**scope, "method": "GET"}, receive, headers_only)

    return middleware


def json_depth(body: bytes) -> int:
    """How deeply arrays and objects nest in a JSON document (strings skipped; no recursion)."""
    brackets = _BRACKET.findall(_STRING.sub(b"", body))
    return max(accumulate(1 if b in (b"[", b"{") else -1 for b in brackets), default=0)


def strict_json(model: type) -> Callable[[Request], Awaitable[None]]:
    """A `before_request` hook: the body must be `application/json`, UTF-8, at most `MAX_JSON_DEPTH` deep and
    match `model` exactly (no "5" for an int); otherwise 415 or 400, logged, before the handler parses it."""

    async def check(request: Request) -> None:
        media = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if media != "application/json":
            refuse(request, 415, f"send the request body as application/json, not {media or 'untyped data'}")
        body = await request.body()
        try:
            body.decode("utf-8")
        except UnicodeDecodeError as exc:
            refuse(request, 400, f"request body is not valid UTF-8 (bad byte at offset {exc.start})")
        shallow(request, body)
        try:
            msgspec.json.decode(body, type=model, strict=True)
        except msgspec.ValidationError as exc:
            refuse(request, 400, f"Validation failed for {request.method} {request.url.path}: {exc}")
        except msgspec.DecodeError as exc:
            refuse(request, 400, f"request body is not valid JSON: {exc}")

    return check


def clipped(detail: str) -> str:
    """An error detail cut to MAX_DETAIL characters."""
    return detail if len(detail) <= MAX_DETAIL else detail[: MAX_DETAIL - 1] + "…"


def shallow(request: Request, body: bytes) -> None:
    """A 400 (logged) for a JSON body nested deeper than MAX_JSON_DEPTH, before any parser recurses into it."""
    if json_depth(body) > MAX_JSON_DEPTH:
        refuse(request, 400, f"request body is nested deeper than {MAX_JSON_DEPTH} levels")


def refuse(request: Request, status: int, detail: str) -> None:
    client = request.client.host if request.client else "?"
    detail = clipped(detail)
    log.warning("%s %s from %s: %d %s", request.method, request.url.path, client, status, detail)
    if status == 400:
        raise ClientException(detail)
    raise HTTPException(status_code=status, detail=detail)


def feedback_limit(per_minute: int) -> RateLimitConfig | None:
    """Feedback posts per minute per client address (0: no limit), counted apart from `rate_limit`."""
    if per_minute <= 0:
        return None
    return RateLimitConfig(rate_limit=("minute", per_minute), check_throttle_handler=_is_feedback, store="feedback")


def _is_feedback(request: Request) -> bool:
    return request.url.path == "/api/feedback"


def rate_limit(per_minute: int) -> RateLimitConfig | None:
    """Requests per minute per client address on every route but /health and static files (0: no limit)."""
    if per_minute <= 0:
        return None
    return RateLimitConfig(rate_limit=("minute", per_minute), exclude=["/health", "/static", "/favicon.ico"])


def admin_only(connection: ASGIConnection, _handler) -> None:
    """A guard for the routes that change the index: `Authorization: Bearer <admin_token>` (403 while no token
    is configured, 401 without the right one)."""
    token = connection.app.state.qa.settings.admin_token
    if not token:
        raise PermissionDeniedException("changing articles over the API is off; set QA_ADMIN_TOKEN to allow it")
    scheme, _, given = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        client = connection.client.host if connection.client else "?"
        log.warning("%s from %s: 401, bad or missing admin token", connection.url.path, client)
        raise NotAuthorizedException("send Authorization: Bearer <the admin token>")
