"""The outer guard of every request (plain ASGI, no per-request threads).

* a request id (the caller's ``X-Request-ID`` when it is a short token, else a new one),
  echoed in the response and written to audit entries and logs;
* the body read up front, at most ``max_body_bytes`` (413 above), and JSON bodies only
  under ``/api/`` (415 for another content type);
* security headers on every response (a page may set its own CSP first);
* one JSON log line per request: method, route template, status, duration, request id
  (never the filled-in path, a query string, a body or an identifier).
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog

from ptsdrx.api.problems import PROBLEM_JSON, problem_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_JSON_TYPES = {"application/json", "application/x-ndjson", "application/jsonl"}
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
)
_API_CSP = b"default-src 'none'; frame-ancestors 'none'; base-uri 'none'"
_DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data: https://fastapi.tiangolo.com; "
    b"script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; frame-ancestors 'none'"
)

log = structlog.get_logger("ptsdrx.api")


class RequestGuard:
    """ASGI middleware: request id, body limit, content type, security headers, access log."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        given = headers.get("x-request-id", "")
        request_id = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status_seen: list[int] = []
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_seen.append(int(message["status"]))
                out = list(message.get("headers", []))
                names = {k.lower() for k, _ in out}
                out += [h for h in SECURITY_HEADERS if h[0] not in names]
                if b"content-security-policy" not in names:
                    docs = path.endswith(("/docs", "/redoc"))
                    out.append((b"content-security-policy", _DOCS_CSP if docs else _API_CSP))
                if b"cache-control" not in names:
                    out.append((b"cache-control", b"no-store"))
                out.append((b"x-request-id", request_id.encode()))
                message["headers"] = out
            await send(message)

        try:
            refusal = None
            body = b""
            if scope["method"] in _BODY_METHODS:
                body, refusal = await self._read_body(headers, receive)
                if refusal is None and body and path.startswith("/api/"):
                    media = headers.get("content-type", "").split(";")[0].strip().lower()
                    if media not in _JSON_TYPES:
                        refusal = (
                            415,
                            "request body must be application/json "
                            "(or application/x-ndjson for a batch import)",
                        )
            if refusal is not None:
                await _problem(send_with_headers, refusal[0], refusal[1], request_id)
                return
            await self.app(scope, _replay(body, receive), send_with_headers)
        finally:
            route = getattr(scope.get("route"), "path", None)
            log.info(
                "request",
                method=scope["method"],
                route=route or "(unmatched)",
                status=status_seen[0] if status_seen else 500,
                ms=round(1000 * (time.perf_counter() - started), 2),
                request_id=request_id,
            )

    async def _read_body(
        self, headers: dict[str, str], receive: Receive
    ) -> tuple[bytes, tuple[int, str] | None]:
        limit = self.max_body_bytes
        too_big = (413, f"request body larger than {limit} bytes")
        declared = headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return b"", (400, "Content-Length must be a whole number")
            if int(declared) > limit:
                return b"", too_big
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                return b"", too_big
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks), None


def _replay(body: bytes, upstream: Receive) -> Receive:
    """The body already read, then the client's own messages (e.g. its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await upstream()

    return receive


async def _problem(send: Send, status: int, detail: str, request_id: str) -> None:
    body = json.dumps(problem_body(status, detail, request_id=request_id)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def configure_logging() -> None:
    """structlog: one JSON object per line on stderr (timestamp, level, event, fields)."""
    import logging
    import sys

    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(),
        ],
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=True,
    )
