"""The query workers of ``kg serve``: processes that run SPARQL queries, killed at the time
limit and replaced.

Queries run in worker processes, never in the server's own: Oxigraph's Python API cannot
interrupt a running query (oxigraph/oxigraph#1926), and an aggregate over a cross product of
the 10-paper sample runs for minutes inside one call. A thread could only abandon such a
query and leave it burning a core; a worker process is killed when the time limit passes,
and a fresh one takes its place. Each worker holds its own in-memory copy of the graph, or
opens the on-disk store read-only when the server is given the store's folder.

A worker sends a small answer back through its pipe; a big one it writes to a spool file
that the server names (in its own temporary folder), and sends only the :class:`Answer`
that points to it, so an answer of any size costs neither process more than a buffer; the
file is removed when the answer is sent, or when the query fails or is stopped.

Workers are started with the ``spawn`` method (a threaded server must not fork), so
:func:`_worker_main` and everything sent through the pipes (:class:`QueryRequest`,
:class:`Answer`, :class:`Limits`) must stay importable at module level.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import threading
import uuid
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

import pyoxigraph as ox

from kg.errors import KgError
from kg.serve.answers import Answer, text_answer
from kg.serve.protocol import QueryRequest, answer_query
from kg.serve.streaming import Limits
from kg.store import open_store

_LOG = logging.getLogger(__name__)


class ServeError(KgError, OSError):
    """The server cannot start: the address is taken, or the query workers cannot load the
    graph."""


def _worker_main(connection: Connection, source: str, in_memory: bool, limits: Limits) -> None:
    """A query worker: load the graph, say ready, then answer requests (a query and the
    file to write its results to) until the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C is the server's to handle
    try:
        if in_memory:
            store = ox.Store()
            store.load(path=source, format=ox.RdfFormat.N_QUADS)
        else:
            store = open_store(Path(source))
    except (KgError, OSError, SyntaxError, ValueError) as error:
        connection.send(f"cannot load the graph: {error}")
        return
    connection.send("")
    while True:
        try:
            request, spool = connection.recv()
        except (EOFError, OSError):
            return
        try:
            answer = answer_query(store, request, spool, limits)
        except Exception as error:  # a bug must cost one answer, not the worker
            answer = text_answer(500, f"internal error: {type(error).__name__}: {error}")
        connection.send(answer)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, process: BaseProcess, connection: Connection) -> None:
        self.process = process
        self.connection = connection
        self._stopping = threading.Lock()
        self._stopped = False

    def stop(self) -> None:
        """Kill the process and close the pipe, once: the server's shutdown and the thread
        whose query the kill ended both stop the worker, and closing its pipe's descriptor
        twice could close a file that has meanwhile been given the same number."""
        with self._stopping:
            if self._stopped:
                return
            self._stopped = True
            self.process.kill()
            self.process.join(5)
            self.connection.close()


class Workers:
    """Worker processes that answer queries, each stopped (killed) at its time limit.

    ``source`` is an N-Quads snapshot of the graph (``in_memory``: each worker loads it) or
    the folder of an on-disk store (each worker opens it read-only). Answers' results are
    spooled in ``spool_dir``, within ``limits``. Raises ServeError when a worker cannot load
    the graph.
    """

    def __init__(
        self,
        source: Path,
        *,
        in_memory: bool,
        count: int,
        timeout: float,
        spool_dir: Path,
        limits: Limits,
    ) -> None:
        self._source = str(source)
        self._in_memory = in_memory
        self._timeout = timeout
        self._spool_dir = spool_dir
        self._limits = limits
        self._context = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._live: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        starting = [self._start() for _ in range(count)]
        try:
            for worker in starting:
                self._wait_ready(worker)
        except BaseException:  # ServeError, or Ctrl+C while the graph loads
            self.close()
            raise
        for worker in starting:
            self._idle.put(worker)

    @property
    def pids(self) -> tuple[int, ...]:
        """The process ids of the workers alive now (busy, idle or starting)."""
        with self._lock:
            return tuple(sorted(w.process.pid for w in self._live if w.process.pid is not None))

    def answer(self, request: QueryRequest) -> Answer:
        """The worker's answer, or 503 when every worker stays busy or the query runs longer
        than the time limit (its worker is then killed and replaced). An answer too big for
        the pipe holds its ``spool`` file, which the caller removes once it is sent."""
        spool = str(self._spool_dir / f"answer-{uuid.uuid4().hex}")  # made only if needed
        answer = self._answer(request, spool)
        if answer.spool is None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spool)
        return answer

    def _answer(self, request: QueryRequest, spool: str) -> Answer:
        try:
            worker = self._idle.get(timeout=self._timeout)
        except queue.Empty:
            return text_answer(
                503,
                f"every query worker stayed busy for {self._timeout:g} s; try again shortly",
                ("Retry-After", "5"),
            )
        try:
            worker.connection.send((request, spool))
            if worker.connection.poll(self._timeout):
                answer: Answer = worker.connection.recv()
                self._idle.put(worker)
                return answer
        except (EOFError, OSError):
            self._retire(worker)
            return text_answer(503, "the query worker stopped (is the server shutting down?)")
        self._retire(worker)
        return text_answer(
            503,
            f"the query ran longer than the time limit of {self._timeout:g} s and was stopped; "
            "narrow it down or add a LIMIT",
        )

    def close(self) -> None:
        """Stop every worker; later answers are 503."""
        with self._lock:
            self._closed = True
            workers, self._live = self._live, set()
        for worker in workers:
            worker.stop()

    def _start(self) -> _Worker:
        parent_end, child_end = self._context.Pipe()
        process = self._context.Process(
            target=_worker_main,
            args=(child_end, self._source, self._in_memory, self._limits),
            name="kg-serve-worker",
            daemon=True,
        )
        process.start()
        child_end.close()
        worker = _Worker(process, parent_end)
        with self._lock:
            self._live.add(worker)
        return worker

    def _wait_ready(self, worker: _Worker) -> None:
        while not worker.connection.poll(0.2):
            if not worker.process.is_alive():
                raise ServeError(f"a query worker exited with code {worker.process.exitcode}")
        try:
            problem: str = worker.connection.recv()
        except (EOFError, OSError):
            problem = "a query worker exited while loading the graph"
        if problem:
            raise ServeError(problem)

    def _retire(self, worker: _Worker) -> None:
        """Kill ``worker`` and start its replacement in the background."""
        with self._lock:
            self._live.discard(worker)
            closed = self._closed
        worker.stop()
        if not closed:
            threading.Thread(target=self._replace, name="kg-serve-respawn", daemon=True).start()

    def _replace(self) -> None:
        try:
            worker = self._start()
            self._wait_ready(worker)
        except (ServeError, OSError) as error:
            _LOG.error("kg serve: could not restart a query worker: %s", error)
            return
        with self._lock:
            closed = self._closed
        if closed:
            worker.stop()
        else:
            self._idle.put(worker)
