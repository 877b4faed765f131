"""The HTTP side of ``kg serve``: the server, its request handler, and starting it.

The handler only routes and writes answers: ``/sparql`` to :mod:`kg.serve.protocol` and a
query worker (in the client's turn, :mod:`kg.serve.fairness`), ``/`` to the query page
rendered at start, every other path to :mod:`kg.serve.linked_data`. Requests are served by
threads (a slow client holds one thread, not the server) and every answer has a length, so
HTTP/1.1 connections stay open.

What a proxy in front or a web page could abuse is refused before routing: HTTP/0.9, two
``Content-Length`` headers or a chunked body (request smuggling), a body left unread (the
connection is closed instead of reading it as the next request) and, on a loopback address,
a ``Host`` that is not a loopback name (DNS rebinding). Answers are streamed in chunks, a
query's from its spool file, and a client gets ``send_timeout`` seconds to take a whole
answer; then its connection is closed and the answer freed.
"""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import math
import os
import select
import socket
import socketserver
import struct
import tempfile
import time
from collections.abc import Callable, Mapping
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any, Final
from urllib.parse import urlsplit

import pyoxigraph as ox

from kg import __version__
from kg.errors import ConfigError
from kg.iris import IriScheme
from kg.serve.answers import HTML, TEXT, TURTLE, Answer, text_answer
from kg.serve.fairness import QueueFull, Shares
from kg.serve.linked_data import LinkedData, detect_base_iri
from kg.serve.pages import query_page
from kg.serve.protocol import (
    MAX_BYTES_HEADER,
    MAX_ROWS_HEADER,
    QueryRequest,
    parse_params,
    posted_params,
    query_request,
)
from kg.serve.streaming import DEFAULT_MAX_BYTES, DEFAULT_MAX_ROWS, Limits
from kg.serve.workers import ServeError, Workers
from kg.site import describe_dataset
from kg.site.pages import site_title
from kg.site.publish import normalised_base_url
from kg.site.settings import SiteSettings
from kg.store import open_store

_LOG = logging.getLogger(__name__)

_MAX_BODY = 1 << 20  # a query (with big VALUES blocks) fits easily; anything larger is refused
_KEEP_ALIVE = 30.0  # seconds an idle HTTP/1.1 connection may hold its thread
_CHUNK = 64 << 10  # bytes of an answer read and sent at a time
_MIN_MAX_BYTES = 64 << 10  # a cap below this could not hold an empty JSON-LD document
SEND_TIMEOUT: Final = 300.0
"""Seconds a client has to take a whole answer (64 MiB at 2 Mbit/s) before it is closed."""
WAITING_PER_CLIENT: Final = 16
"""Queries of one client that may wait for their turn; more are answered 429."""


class _Handler(BaseHTTPRequestHandler):
    """Routes ``/``, ``/sparql`` and entity paths; every answer has a length, so HTTP/1.1
    connections stay open between requests."""

    protocol_version = "HTTP/1.1"
    # A request line too malformed to hold a version is answered with a status line and
    # headers, not HTTP/0.9-style as http.server does by default.
    default_request_version = "HTTP/1.0"
    server_version = f"kg-serve/{__version__}"
    timeout = _KEEP_ALIVE
    # Headers and body leave in two writes: with Nagle's algorithm, the client's delayed ACK
    # held every answer on a kept-alive connection for 40 ms.
    disable_nagle_algorithm = True
    # The errors http.server answers itself (malformed request line, headers too long): in
    # plain text like every other error here.
    error_content_type = TEXT
    error_message_format = "%(code)d %(message)s: %(explain)s\n"
    _unread_body = False
    raw_requestline: bytes  # set by http.server before parse_request

    @property
    def _server(self) -> KgServer:
        assert isinstance(self.server, KgServer)
        return self.server

    def version_string(self) -> str:
        """``Server: kg-serve/VERSION``, not the Python version http.server adds."""
        return self.server_version

    def parse_request(self) -> bool:
        """Read the request line and headers; refuse HTTP/0.9 and what :meth:`_refusal`
        names, and close the connection after such a refusal."""
        self._unread_body = False
        words = self.raw_requestline.decode("iso-8859-1").split()
        if len(words) == 2:  # HTTP/0.9: no version, no headers; answer in HTTP/1.0
            self.request_version, self.close_connection = "HTTP/1.0", True
            self.command, self.requestline = words[0], " ".join(words)
            self._send(text_answer(400, "HTTP/0.9 is not served; send HTTP/1.1"))
            return False
        if not super().parse_request():
            return False
        refusal = self._refusal()
        if refusal is not None:
            self.close_connection = True
            self._send(refusal)
            return False
        length = self.headers.get("Content-Length")
        self._unread_body = length is not None and int(length) > 0
        return True

    def _refusal(self) -> Answer | None:
        """Why this request is refused before it is routed, if it is."""
        lengths = self.headers.get_all("Content-Length", [])
        if len(lengths) > 1:
            return text_answer(400, "send one Content-Length header, not several")
        if lengths and not lengths[0].strip().isdigit():
            return text_answer(400, f"Content-Length {lengths[0]!r} is not a number of bytes")
        if self.headers.get("Transfer-Encoding") is not None:
            return text_answer(411, "send the body with a Content-Length (no chunked encoding)")
        host = self.headers.get_all("Host", [])
        if len(host) > 1 or (not host and self.request_version == "HTTP/1.1"):
            return text_answer(400, "send one Host header")
        if host and not self._server.answers_host(host[0]):
            return text_answer(
                403,
                f"this server answers requests for {self._server.url}, not for {host[0]!r} "
                "(on a loopback address only loopback names are answered: a guard against "
                "DNS rebinding; see kg serve --public-url)",
            )
        return None

    def do_GET(self) -> None:
        self._safely(self._get, head=False)

    def do_HEAD(self) -> None:
        self._safely(self._get, head=True)

    def do_POST(self) -> None:
        self._safely(self._post, head=False)

    def do_OPTIONS(self) -> None:
        """CORS preflight: browsers ask before a cross-origin POST of a SPARQL query."""
        if urlsplit(self.path).path == "/sparql":
            headers = (
                ("Access-Control-Allow-Methods", "GET, POST, OPTIONS"),
                ("Access-Control-Allow-Headers", "Content-Type, Accept"),
                ("Access-Control-Max-Age", "86400"),
                ("Allow", "GET, HEAD, POST, OPTIONS"),
            )
            self._send(Answer(204, TEXT, b"", headers), cors=True)
        else:
            self._send(Answer(204, TEXT, b"", (("Allow", "GET, HEAD, OPTIONS"),)))

    def _refuse_method(self) -> None:
        allowed = (
            "GET, HEAD, POST, OPTIONS" if urlsplit(self.path).path == "/sparql" else "GET, HEAD"
        )
        self._send(text_answer(405, f"{self.command} is not allowed here", ("Allow", allowed)))

    do_PUT = do_DELETE = do_PATCH = _refuse_method

    def log_message(self, format: str, *args: Any) -> None:
        if self._server.verbose:
            super().log_message(format, *args)

    def _safely(self, route: Callable[[bool], None], head: bool) -> None:
        """Run ``route``; a bug answers 500 with a one-line reason, never a traceback."""
        try:
            route(head)
        except ConnectionError:
            self.close_connection = True
        except Exception as error:
            _LOG.exception("kg serve: %s %s failed", self.command, self.path)
            self.close_connection = True
            self._send(text_answer(500, f"internal error: {type(error).__name__}: {error}"))

    def _get(self, head: bool) -> None:
        url = urlsplit(self.path)
        params = parse_params(url.query)
        if isinstance(params, Answer):
            self._send(params, head=head, cors=url.path == "/sparql")
        elif url.path == "/sparql":
            self._send(self._sparql(params), head=head, cors=True)
        elif url.path in ("/", "/index.html"):
            self._send(Answer(200, HTML, self._server.page), head=head)
        elif url.path == "/void.ttl":
            self._send(Answer(200, TURTLE, self._server.void), head=head)
        else:
            accept = self.headers.get("Accept")
            self._send(self._server.linked_data.answer(url.path, params, accept), head=head)

    def _post(self, head: bool) -> None:
        url = urlsplit(self.path)
        if url.path != "/sparql":
            self._refuse_method()
            return
        self._send(self._sparql_post(url.query), cors=True)

    def _sparql_post(self, url_query: str) -> Answer:
        body = self._read_body()
        if isinstance(body, Answer):
            return body
        params = posted_params(self.headers.get("Content-Type"), body, url_query)
        if isinstance(params, Answer):
            return params
        return self._sparql(params)

    def _sparql(self, params: Mapping[str, list[str]]) -> Answer:
        """A SPARQL Protocol query operation, answered by a worker in the client's turn."""
        request = query_request(params, self.headers.get("Accept"))
        if isinstance(request, Answer):
            return request
        return self._server._answer_query(request, self.client_address[0], self._client_gone)

    def _client_gone(self) -> bool:
        """Whether the client has closed the connection (its waiting query need not run)."""
        readable, _, _ = select.select([self.connection], [], [], 0)
        if not readable:
            return False
        try:
            return not self.connection.recv(1, socket.MSG_PEEK)
        except OSError:
            return True

    def _read_body(self) -> bytes | Answer:
        length = self.headers.get("Content-Length")
        if length is None:
            self.close_connection = True
            return text_answer(411, "send the body with a Content-Length")
        if int(length) > _MAX_BODY:
            self.close_connection = True
            return text_answer(413, f"the request body is larger than {_MAX_BODY >> 20} MiB")
        self._unread_body = False
        return self.rfile.read(int(length))

    def _send(self, answer: Answer, *, head: bool = False, cors: bool = False) -> None:
        """Write ``answer``, its body in chunks, all of it within the server's
        ``send_timeout``; a client that does not take it in time is disconnected."""
        spool = self._open_spool(answer)
        try:
            length = os.fstat(spool.fileno()).st_size if spool else len(answer.body)
            if self._unread_body:  # never read the rest as the next request
                self.close_connection = True
            self.send_response(answer.status)
            self.send_header("Content-Type", answer.content_type)
            self.send_header("Content-Length", str(length))
            self.send_header("X-Content-Type-Options", "nosniff")
            if cors:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Expose-Headers", _EXPOSED)
                self.send_header("Vary", "Accept")
            for name, value in answer.headers:
                if not (cors and name == "Vary"):
                    self.send_header(name, value)
            if self.close_connection:
                self.send_header("Connection", "close")
            deadline = time.monotonic() + self._server.send_timeout
            self._by(deadline)
            self.end_headers()
            chunks = iter(lambda: spool.read(_CHUNK), b"") if spool else [answer.body]
            for chunk in () if head else chunks:
                self._by(deadline)
                self.wfile.write(chunk)
        except TimeoutError:
            self._drop()
        else:
            self.connection.settimeout(self.timeout)  # back to waiting for the next request
        finally:
            if spool is not None:
                spool.close()

    @staticmethod
    def _open_spool(answer: Answer) -> IO[bytes] | None:
        """The answer's spool file, open and already removed: it is freed when closed."""
        if answer.spool is None:
            return None
        spool = open(answer.spool, "rb")  # noqa: SIM115 (closed by _send)
        os.unlink(answer.spool)
        return spool

    def _by(self, deadline: float) -> None:
        """Let the next write block until ``deadline`` at most (TimeoutError after it)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError
        self.connection.settimeout(remaining)

    def _drop(self) -> None:
        """Close the connection of a client that did not take its answer in time, with a
        reset: the kernel then frees what it still buffers for the client, too."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


_EXPOSED = f"{MAX_ROWS_HEADER}, {MAX_BYTES_HEADER}"  # readable by pages on other origins


class KgServer(ThreadingHTTPServer):
    """The HTTP server of :func:`make_server`, with its query workers.

    ``shutdown()`` stops serving and the workers; ``server_close()`` (or leaving a ``with``
    block) also closes the socket.
    """

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: ox.Store,
        location: Path | None,
        base_iri: str | None,
        query_timeout: float,
        workers: int,
        limits: Limits,
        send_timeout: float,
        public_url: str | None,
        verbose: bool,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.verbose = verbose
        self.base_iri = base_iri
        self.query_timeout = query_timeout
        self.limits = limits
        self.send_timeout = send_timeout
        self.public_url = public_url
        self.shares = Shares(max(1, workers - 1), WAITING_PER_CLIENT)
        self._workers: Workers | None = None
        self._scratch: tempfile.TemporaryDirectory[str] | None = None
        try:
            super().__init__(address, _Handler)
        except OSError as error:
            raise ServeError(
                f"cannot listen on {address[0]}:{address[1]}: {error.strerror or error}"
            ) from None
        try:
            self.page = query_page(query_timeout, base_iri, site_title(store, SiteSettings()))
            self._store = store
            self.linked_data = LinkedData(store, base_iri)
            self._scratch = tempfile.TemporaryDirectory(prefix="kg-serve-")
            scratch = Path(self._scratch.name)
            if location is None:
                location = scratch / "graph.nq"
                store.dump(str(location), format=ox.RdfFormat.N_QUADS)
            (scratch / "answers").mkdir()
            self._workers = Workers(
                location,
                in_memory=location.parent == scratch,
                count=workers,
                timeout=query_timeout,
                spool_dir=scratch / "answers",
                limits=limits,
            )
        except BaseException:
            self.server_close()
            raise

    @cached_property
    def void(self) -> bytes:
        """``/void.ttl``, made on first request: it reads the whole graph, which start-up
        need not wait for."""
        return describe_dataset(self._store, self.url)

    def server_bind(self) -> None:
        """Bind without HTTPServer's reverse DNS lookup of the host (slow on some networks)."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self._host, int(self.server_address[1])

    @property
    def url(self) -> str:
        """The address to open: the public URL if there is one, else :attr:`local_url`."""
        return self.public_url or self.local_url

    @property
    def local_url(self) -> str:
        """``http://HOST:PORT/``, where the server listens."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.server_address[1]}/"

    @property
    def _host(self) -> str:
        host = self.server_address[0]
        return host if isinstance(host, str) else host.decode()

    @cached_property
    def _loopback(self) -> bool:
        return ipaddress.ip_address(self._host.partition("%")[0]).is_loopback

    def answers_host(self, header: str) -> bool:
        """Whether a request with ``Host: header`` is answered. On a loopback address only
        loopback names (``localhost``, ``*.localhost``, 127.0.0.0/8, ``::1``) and the host
        of the public URL are: a page whose own name was rebound to 127.0.0.1 by its DNS
        server must not read this one (DNS rebinding). Elsewhere, every name is."""
        if not self._loopback:
            return True
        host = _host_name(header)
        if host == "localhost" or host.endswith(".localhost"):
            return True
        if self.public_url is not None and host == _host_name(urlsplit(self.public_url).netloc):
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """Process ids of the query workers alive now."""
        return self._workers.pids if self._workers is not None else ()

    def _answer_query(
        self, request: QueryRequest, client: str, client_gone: Callable[[], bool]
    ) -> Answer:
        """A worker's answer to a SPARQL query, in ``client``'s turn (:mod:`.fairness`):
        429 when too many of its queries wait, 503 once the workers are stopped."""
        try:
            with self.shares.turn(client):
                workers = self._workers
                if workers is None:
                    return text_answer(503, "the server is shutting down")
                if client_gone():
                    return text_answer(503, "the client left before its query's turn")
                return workers.answer(request)
        except QueueFull:
            return text_answer(
                429,
                f"{self.shares.share} of your queries run and {self.shares.queue} wait "
                "already; send more when they are answered",
                ("Retry-After", str(math.ceil(self.query_timeout))),
            )

    def shutdown(self) -> None:
        super().shutdown()
        self._stop_workers()

    def server_close(self) -> None:
        super().server_close()
        self._stop_workers()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Quiet: a client that went away is not the server's error (verbose: say so)."""
        if self.verbose:
            super().handle_error(request, client_address)

    def _stop_workers(self) -> None:
        workers, self._workers = self._workers, None
        if workers is not None:
            workers.close()
        scratch, self._scratch = self._scratch, None
        if scratch is not None:
            scratch.cleanup()


def _host_name(header: str) -> str:
    """The host of a ``Host`` header (or URL authority): lower case, without the port, the
    brackets of an IPv6 address or a final dot."""
    host = header.strip().lower()
    host = host[1:].partition("]")[0] if host.startswith("[") else host.partition(":")[0]
    return host.rstrip(".")


def make_server(
    store: ox.Store | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    query_timeout: float = 10.0,
    base_iri: str | None = None,
    workers: int = 2,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    send_timeout: float = SEND_TIMEOUT,
    public_url: str | None = None,
    verbose: bool = False,
) -> KgServer:
    """A server for ``store``, listening on ``host:port`` (port 0: any free port), its query
    workers ready; call ``serve_forever()`` on it.

    ``store`` is a pyoxigraph store (each worker gets an in-memory copy) or the folder of an
    on-disk store from ``kg build --store`` (each worker opens it read-only). Each query may
    run ``query_timeout`` seconds; ``workers`` queries run at once, ``max(1, workers - 1)``
    of them from one client. An answer holds at most ``max_rows`` rows (triples) and
    ``max_bytes`` bytes, and its client has ``send_timeout`` seconds to take it.
    ``base_iri`` maps paths to entity IRIs (default: detected from the graph).
    ``public_url`` is the server's address for its users when it is not where it listens
    (behind a proxy, on 0.0.0.0): ``/void.ttl`` names its endpoint there. ``verbose`` logs
    every request on stderr.

    Workers are started with the ``spawn`` method: a script that calls this must guard its
    top level with ``if __name__ == "__main__":``. Raises ConfigError for bad settings,
    InputError for a folder that holds no store, ServeError when the address is taken.
    """
    if not query_timeout > 0:
        raise ConfigError(f"the query time limit must be positive, not {query_timeout}")
    if workers < 1:
        raise ConfigError(f"at least one query worker is needed, not {workers}")
    if not 0 <= port <= 65535:
        raise ConfigError(f"port {port} is not between 0 and 65535")
    if max_rows < 1:
        raise ConfigError(f"an answer must be allowed at least one row, not {max_rows}")
    if max_bytes < _MIN_MAX_BYTES:
        raise ConfigError(f"an answer must be allowed at least {_MIN_MAX_BYTES} bytes")
    if not send_timeout > 0:
        raise ConfigError(f"the time to send an answer must be positive, not {send_timeout}")
    if public_url is not None:
        try:
            public_url = normalised_base_url(public_url)
        except ConfigError:
            raise ConfigError(
                f"the public URL {public_url!r} must be an absolute http(s) URL without "
                "query or fragment, e.g. https://kg.example.org/"
            ) from None
    location = store if isinstance(store, Path) else None
    graph = open_store(store) if isinstance(store, Path) else store
    if base_iri is None:
        base_iri = detect_base_iri(graph)
    else:
        IriScheme(base_iri)  # raises ConfigError for an IRI that cannot be a base
    return KgServer(
        (host, port),
        store=graph,
        location=location,
        base_iri=base_iri,
        query_timeout=query_timeout,
        workers=workers,
        limits=Limits(max_rows, max_bytes),
        send_timeout=send_timeout,
        public_url=public_url,
        verbose=verbose,
    )


def serve(
    store: ox.Store | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    query_timeout: float = 10.0,
    base_iri: str | None = None,
    workers: int = 2,
    max_rows: int = DEFAULT_MAX_ROWS,
    max_bytes: int = DEFAULT_MAX_BYTES,
    send_timeout: float = SEND_TIMEOUT,
    public_url: str | None = None,
    verbose: bool = False,
    ready: Callable[[KgServer], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl+C), then stop the workers and close the socket; the
    settings are :func:`make_server`'s.

    ``ready`` is called with the server once it accepts requests (to print its ``url``).
    """
    with make_server(
        store,
        host,
        port,
        query_timeout=query_timeout,
        base_iri=base_iri,
        workers=workers,
        max_rows=max_rows,
        max_bytes=max_bytes,
        send_timeout=send_timeout,
        public_url=public_url,
        verbose=verbose,
    ) as server:
        if ready is not None:
            ready(server)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
