"""Each client's share of the query workers.

Without shares, one client sending many heavy queries at once holds every worker and
everybody else waits for the time limit. Here a client (a remote address) has at most
``share`` queries running at once; its further queries wait in the order they came, at most
``queue`` of them, and beyond that it is told to come back later (429). With ``share`` below
the number of workers, one worker is always left for the others. Behind a reverse proxy
every client has the proxy's address and they all share one share.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager


class QueueFull(Exception):
    """The client already has as many queries waiting as it may."""


class _Client:
    """Queries of one client: how many run, and the turns of those that wait, in order."""

    def __init__(self) -> None:
        self.running = 0
        self.waiting: deque[threading.Event] = deque()


class Shares:
    """Turns for the queries of each client (see the module's docstring)."""

    def __init__(self, share: int, queue: int) -> None:
        self.share = share
        self.queue = queue
        self._clients: dict[str, _Client] = {}
        self._lock = threading.Lock()

    @contextmanager
    def turn(self, client: str) -> Iterator[None]:
        """Wait for ``client``'s turn, and hold it for the block; raises QueueFull at once
        when ``client`` already has ``queue`` queries waiting."""
        self._enter(client)
        try:
            yield
        finally:
            self._leave(client)

    def _enter(self, client: str) -> None:
        with self._lock:
            state = self._clients.setdefault(client, _Client())
            if state.running < self.share:
                state.running += 1
                return
            if len(state.waiting) >= self.queue:
                raise QueueFull
            turn = threading.Event()
            state.waiting.append(turn)
        turn.wait()  # _leave hands over a running slot: `running` already counts this one

    def _leave(self, client: str) -> None:
        with self._lock:
            state = self._clients[client]
            if state.waiting:
                state.waiting.popleft().set()
                return
            state.running -= 1
            if not state.running:
                del self._clients[client]
