"""The HTTP side of ``kg serve``: the server, its request handler, and starting it.

The handler only routes and writes answers: ``/sparql`` to :mod:`kg.serve.protocol` and a
query worker, ``/`` to the query page rendered at start, every other path to
:mod:`kg.serve.linked_data`. Requests are served by threads (a slow client holds one
thread, not the server) and every answer has a length, so HTTP/1.1 connections stay open.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import socketserver
import tempfile
from collections.abc import Callable, Mapping
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox

from kg.errors import ConfigError
from kg.mapping import IriScheme
from kg.serve.answers import HTML, TEXT, TURTLE, Answer, text_answer
from kg.serve.linked_data import LinkedData, detect_base_iri
from kg.serve.pages import query_page
from kg.serve.protocol import QueryRequest, parse_params, posted_params, query_request
from kg.serve.workers import ServeError, Workers
from kg.site import describe_dataset
from kg.store import open_store

_LOG = logging.getLogger(__name__)

_MAX_BODY = 1 << 20  # a query (with big VALUES blocks) fits easily; anything larger is refused
_KEEP_ALIVE = 30.0  # seconds an idle HTTP/1.1 connection may hold its thread


class _Handler(BaseHTTPRequestHandler):
    """Routes ``/``, ``/sparql`` and entity paths; every answer has a length, so HTTP/1.1
    connections stay open between requests."""

    protocol_version = "HTTP/1.1"
    server_version = "kg-serve"
    timeout = _KEEP_ALIVE
    # Headers and body leave in two writes: with Nagle's algorithm, the client's delayed ACK
    # held every answer on a kept-alive connection for 40 ms.
    disable_nagle_algorithm = True

    @property
    def _server(self) -> KgServer:
        assert isinstance(self.server, KgServer)
        return self.server

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
        """A SPARQL Protocol query operation, answered by a worker."""
        request = query_request(params, self.headers.get("Accept"))
        if isinstance(request, Answer):
            return request
        return self._server._answer_query(request)

    def _read_body(self) -> bytes | Answer:
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            return text_answer(411, "send the body with a Content-Length (no chunked encoding)")
        length = self.headers.get("Content-Length")
        if length is None or not length.strip().isdigit():
            self.close_connection = True
            return text_answer(411, "send the body with a Content-Length")
        if int(length) > _MAX_BODY:
            self.close_connection = True
            return text_answer(413, f"the request body is larger than {_MAX_BODY >> 20} MiB")
        return self.rfile.read(int(length))

    def _send(self, answer: Answer, *, head: bool = False, cors: bool = False) -> None:
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.send_header("X-Content-Type-Options", "nosniff")
        if cors:
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Vary", "Accept")
        for name, value in answer.headers:
            if not (cors and name == "Vary"):
                self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if not head:
            self.wfile.write(answer.body)


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
        verbose: bool,
    ) -> None:
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        self.verbose = verbose
        self.base_iri = base_iri
        self.query_timeout = query_timeout
        self._workers: Workers | None = None
        self._snapshot: tempfile.TemporaryDirectory[str] | None = None
        try:
            super().__init__(address, _Handler)
        except OSError as error:
            raise ServeError(
                f"cannot listen on {address[0]}:{address[1]}: {error.strerror or error}"
            ) from None
        try:
            self.page = query_page(query_timeout, base_iri)
            self._store = store
            self.linked_data = LinkedData(store, base_iri)
            if location is None:
                self._snapshot = tempfile.TemporaryDirectory(prefix="kg-serve-")
                location = Path(self._snapshot.name) / "graph.nq"
                store.dump(str(location), format=ox.RdfFormat.N_QUADS)
            self._workers = Workers(
                location, in_memory=self._snapshot is not None, count=workers, timeout=query_timeout
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
        """``http://HOST:PORT/``, the address to open."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"http://{host}:{self.server_address[1]}/"

    @property
    def _host(self) -> str:
        host = self.server_address[0]
        return host if isinstance(host, str) else host.decode()

    @property
    def worker_pids(self) -> tuple[int, ...]:
        """Process ids of the query workers alive now."""
        return self._workers.pids if self._workers is not None else ()

    def _answer_query(self, request: QueryRequest) -> Answer:
        """A worker's answer to a SPARQL query (503 once the workers are stopped)."""
        if self._workers is None:
            return text_answer(503, "the server is shutting down")
        return self._workers.answer(request)

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
        snapshot, self._snapshot = self._snapshot, None
        if snapshot is not None:
            snapshot.cleanup()


def make_server(
    store: ox.Store | Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    query_timeout: float = 10.0,
    base_iri: str | None = None,
    workers: int = 2,
    verbose: bool = False,
) -> KgServer:
    """A server for ``store``, listening on ``host:port`` (port 0: any free port), its query
    workers ready; call ``serve_forever()`` on it.

    ``store`` is a pyoxigraph store (each worker gets an in-memory copy) or the folder of an
    on-disk store from ``kg build --store`` (each worker opens it read-only). Each query may
    run ``query_timeout`` seconds; ``workers`` queries run at once. ``base_iri`` maps paths to
    entity IRIs (default: detected from the graph). ``verbose`` logs every request on stderr.

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
    verbose: bool = False,
    ready: Callable[[KgServer], None] | None = None,
) -> None:
    """Serve until interrupted (Ctrl+C), then stop the workers and close the socket.

    ``ready`` is called with the server once it accepts requests (to print its ``url``).
    """
    with make_server(
        store,
        host,
        port,
        query_timeout=query_timeout,
        base_iri=base_iri,
        workers=workers,
        verbose=verbose,
    ) as server:
        if ready is not None:
            ready(server)
        with contextlib.suppress(KeyboardInterrupt):
            server.serve_forever()
