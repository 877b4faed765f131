"""A fault-injecting HTTP stand-in in front of a real SPARQL server on loopback.

``FaultyProxy(upstream)`` listens on 127.0.0.1 and forwards GET and POST requests to the
``upstream`` endpoint (typically the ``oxigraph_endpoint`` fixture), except that the next
requests can be scripted to misbehave the way public endpoints do: rate limiting (429),
maintenance pages (503), cut-off answers, HTML error pages with status 200, slow answers and
the plain-text Java stack traces the Wikidata Query Service sends on a time-out::

    with FaultyProxy(oxigraph_endpoint) as proxy:
        proxy.script(Fault("429", retry_after="1"), Fault("truncated"))
        run_the_client_against(proxy.url)
        assert len(proxy.requests) == 3

Standard library only; upstream requests never go through a proxy.
"""

from __future__ import annotations

import http.client
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from dataclasses import dataclass
from email.message import Message
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final, Literal, get_args

FaultKind = Literal["429", "503", "truncated", "html", "slow", "error-text"]

_FAULT_KINDS: Final[frozenset[str]] = frozenset(get_args(FaultKind))

# Request headers passed on to the upstream server (Accept-Encoding is not: the stand-in
# cuts bodies in half and must see them uncompressed).
_FORWARDED_HEADERS: Final[tuple[str, ...]] = ("Content-Type", "Accept", "User-Agent")

_UPSTREAM_TIMEOUT: Final[float] = 30.0

_TOO_MANY_REQUESTS_BODY: Final[bytes] = (
    b"Too Many Requests: you are being rate limited, retry after the Retry-After delay.\n"
)

_SERVICE_UNAVAILABLE_BODY: Final[bytes] = (
    b"<!DOCTYPE html>\n<html><head><title>503 Service Unavailable</title></head>\n"
    b"<body><h1>Service Unavailable</h1>\n"
    b"<p>The server is temporarily unable to service your request due to maintenance "
    b"downtime or capacity problems. Please try again later.</p>\n</body></html>\n"
)

_HTML_ERROR_BODY: Final[bytes] = (
    b"<!DOCTYPE html>\n<html><head><title>Error</title></head>\n"
    b"<body><h1>Service temporarily unavailable</h1>\n"
    b"<p>Our servers are currently under maintenance or experiencing a technical problem. "
    b"Please try again in a few minutes.</p>\n</body></html>\n"
)

# What the Wikidata Query Service answers, with its JSON content type, when a query times out.
_TIMEOUT_ERROR_BODY: Final[bytes] = (
    b"SPARQL-QUERY: queryStr=SELECT * WHERE { ?s ?p ?o }\n"
    b"java.util.concurrent.TimeoutException\n"
    b"\tat java.util.concurrent.FutureTask.get(FutureTask.java:205)\n"
    b"\tat com.bigdata.rdf.sail.webapp.BigdataServlet.submitApiTask(BigdataServlet.java:292)\n"
    b"\tat com.bigdata.rdf.sail.webapp.QueryServlet.doSparqlQuery(QueryServlet.java:678)\n"
)

_USER_AGENT_REQUIRED_BODY: Final[bytes] = (
    b"Please set a User-Agent header that identifies your client and how to reach you; "
    b"requests without one are refused.\n"
)

_NO_PROXY: Final = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@dataclass(frozen=True)
class Fault:
    """One scripted misbehaviour, used for exactly one request."""

    kind: FaultKind
    retry_after: str | None = None  # Retry-After header value for "429" (and "503")
    delay: float = 0.0  # seconds "slow" waits before forwarding

    def __post_init__(self) -> None:
        if self.kind not in _FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}: one of {sorted(_FAULT_KINDS)}")
        if self.delay < 0:
            raise ValueError(f"delay must not be negative, got {self.delay}")


@dataclass(frozen=True)
class SeenRequest:
    """A request as the stand-in received it (header names in Title-Case, e.g. User-Agent)."""

    method: str
    path: str  # path and query string
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival


@dataclass(frozen=True)
class _Answer:
    status: int
    content_type: str | None
    body: bytes
    retry_after: str | None = None


def _title_case(name: str) -> str:
    return "-".join(part.capitalize() for part in name.split("-"))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultyProxy

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hung up (e.g. timed out during a "slow" fault)."""
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return
        super().handle_error(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        """Close a connection, then count it done: after any error on it was reported."""
        super().shutdown_request(request)
        self.proxy._connection_done()


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "FaultyProxy/1"

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr."""

    def _serve(self) -> None:
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length > 0 else b""
            answer = self.server.proxy._answer(self.command, self.path, self.headers, body)
            if answer is not None:
                self._send(answer)
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def _send(self, answer: _Answer) -> None:
        self.send_response(answer.status)
        if answer.content_type is not None:
            self.send_header("Content-Type", answer.content_type)
        if answer.retry_after is not None:
            self.send_header("Retry-After", answer.retry_after)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)
        self.wfile.flush()


class FaultyProxy:
    """An HTTP stand-in for ``upstream`` on 127.0.0.1 that can misbehave on cue."""

    def __init__(self, upstream: str, *, require_user_agent: str | None = None) -> None:
        """Forward to ``upstream`` (an http URL); refuse requests without the agent if given."""
        parts = urllib.parse.urlsplit(upstream)
        if parts.scheme != "http" or not parts.netloc:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self.upstream = upstream
        self.require_user_agent = require_user_agent
        self.requests: list[SeenRequest] = []
        self._origin = f"{parts.scheme}://{parts.netloc}"
        self._path = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        self._lock = threading.Lock()
        self._faults: deque[Fault] = deque()
        self._stopping = threading.Event()
        self._done = threading.Condition()
        self._connections_done = 0
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT`` plus the upstream URL's path (and query)."""
        if self._server is None:
            raise RuntimeError("FaultyProxy is not started")
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}{self._path}"

    @property
    def pending(self) -> int:
        """How many scripted faults are still waiting for a request."""
        with self._lock:
            return len(self._faults)

    def script(self, *faults: Fault) -> None:
        """Give the next ``len(faults)`` requests these faults, in order (after any queued)."""
        with self._lock:
            self._faults.extend(faults)

    def wait_for_connections(self, count: int, timeout: float = 30.0) -> None:
        """Wait until the stand-in is through with ``count`` connections in all (answered or
        given up, and closed): what it does with a connection its client left is over."""
        with self._done:
            if not self._done.wait_for(lambda: self._connections_done >= count, timeout):
                raise TimeoutError(f"{self._connections_done} of {count} connections done")

    def _connection_done(self) -> None:
        with self._done:
            self._connections_done += 1
            self._done.notify_all()

    def start(self) -> None:
        """Listen on a free loopback port and serve in a daemon thread."""
        if self._server is not None:
            raise RuntimeError("FaultyProxy is already started")
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.proxy = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FaultyProxy:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving and close the socket (interrupts pending "slow" waits)."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def __enter__(self) -> FaultyProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def _answer(self, method: str, path: str, headers: Message, body: bytes) -> _Answer | None:
        """What to send back for one request (None: nothing, the proxy is stopping)."""
        seen = SeenRequest(
            method=method,
            path=path,
            headers={_title_case(name): value for name, value in headers.items()},
            body=body,
            at=time.monotonic(),
        )
        with self._lock:
            self.requests.append(seen)
        if self.require_user_agent is not None and self.require_user_agent not in (
            headers.get("User-Agent") or ""
        ):
            return _Answer(403, "text/plain; charset=utf-8", _USER_AGENT_REQUIRED_BODY)
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is None:
            return self._forward(method, path, headers, body)
        match fault.kind:
            case "429":
                return _Answer(
                    429, "text/plain; charset=utf-8", _TOO_MANY_REQUESTS_BODY, fault.retry_after
                )
            case "503":
                return _Answer(
                    503, "text/html; charset=utf-8", _SERVICE_UNAVAILABLE_BODY, fault.retry_after
                )
            case "html":
                return _Answer(200, "text/html; charset=utf-8", _HTML_ERROR_BODY)
            case "error-text":
                return _Answer(
                    200, "application/sparql-results+json; charset=utf-8", _TIMEOUT_ERROR_BODY
                )
            case "truncated":
                whole = self._forward(method, path, headers, body)
                return _Answer(200, whole.content_type, whole.body[: len(whole.body) // 2])
            case "slow":
                if self._stopping.wait(fault.delay):
                    return None
                return self._forward(method, path, headers, body)
        raise AssertionError(f"unhandled fault kind {fault.kind!r}")

    def _forward(self, method: str, path: str, headers: Message, body: bytes) -> _Answer:
        """Ask the upstream server and relay its status, Content-Type and body."""
        forwarded = {name: headers[name] for name in _FORWARDED_HEADERS if name in headers}
        request = urllib.request.Request(
            self._origin + path,
            data=body if method == "POST" else None,
            headers=forwarded,
            method=method,
        )
        try:
            with _NO_PROXY.open(request, timeout=_UPSTREAM_TIMEOUT) as response:
                return _Answer(
                    response.status, response.headers.get("Content-Type"), response.read()
                )
        except urllib.error.HTTPError as exc:
            with exc:
                return _Answer(exc.code, exc.headers.get("Content-Type"), exc.read())
        except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
            message = f"FaultyProxy: upstream {self.upstream} failed: {exc}\n"
            return _Answer(
                HTTPStatus.BAD_GATEWAY, "text/plain; charset=utf-8", message.encode("utf-8")
            )
