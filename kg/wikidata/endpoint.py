"""A polite, cached SPARQL client for the Wikidata Query Service (or any SPARQL 1.1 endpoint).

Wikidata bans clients that hammer it, so every request goes out one at a time with a
descriptive User-Agent; ``429``/``5xx``/time-outs are retried a bounded number of times,
waiting as long as ``Retry-After`` asks (or backing off exponentially); a ``200`` whose body
is not SPARQL JSON (HTML, a cut document, a Java error text) is a failure, never "no
results". Checked answers are cached on disk by endpoint and query text, so a re-run sends
no request at all and ``offline`` runs answer from the cache alone.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyoxigraph as ox

from kg.errors import ConfigError, EndpointError
from kg.queries import RemoteAnswer, answer_result, fetch_remote
from kg.results import QueryResult, Term

#: Longest wait kg accepts from a ``Retry-After`` before giving up with a clear error.
LONGEST_WAIT: Final = 300.0
CACHE_FILE_NAME: Final = "wikidata-responses.sqlite"

Row = dict[str, Term]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to try again after a transient failure."""

    attempts: int = 4
    """Requests per query at most, the first included."""
    backoff: float = 2.0
    """Seconds before the first retry when the server names no delay; doubled each time."""
    timeout: float = 60.0
    """Seconds one request may take (the public service stops queries after 60 s)."""

    def __post_init__(self) -> None:
        if self.attempts < 1 or self.backoff < 0 or self.timeout <= 0:
            raise ConfigError(
                f"retry policy needs attempts >= 1, backoff >= 0 and a positive timeout: {self}"
            )


class ResponseCache:
    """Checked answers by endpoint and query, in one SQLite file."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / CACHE_FILE_NAME
        try:
            folder.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path)
            with self._db:
                self._db.execute(
                    "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, endpoint TEXT,"
                    " query TEXT, content_type TEXT, body BLOB, fetched REAL)"
                )
        except (OSError, sqlite3.Error) as exc:
            raise EndpointError(f"cannot use the response cache {self.path}: {exc}") from None

    @staticmethod
    def key(endpoint: str, query: str) -> str:
        return hashlib.sha256(f"{endpoint}\n{query}".encode()).hexdigest()

    def get(self, endpoint: str, query: str) -> RemoteAnswer | None:
        found = self._db.execute(
            "SELECT content_type, body FROM answers WHERE key = ?", (self.key(endpoint, query),)
        ).fetchone()
        return RemoteAnswer(endpoint, found[1], found[0]) if found else None

    def put(self, query: str, answer: RemoteAnswer) -> None:
        with self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self.key(answer.endpoint, query),
                    answer.endpoint,
                    query,
                    answer.content_type,
                    answer.body,
                    time.time(),
                ),
            )

    def close(self) -> None:
        self._db.close()


class WikidataEndpoint:
    """One SPARQL endpoint, asked politely; counts the requests it really sent."""

    def __init__(
        self,
        url: str,
        user_agent: str,
        cache: ResponseCache | None = None,
        *,
        offline: bool = False,
        refresh: bool = False,
        retry: RetryPolicy = RetryPolicy(),
    ) -> None:
        self.url = url
        self.user_agent = user_agent
        self.cache = cache
        self.offline = offline
        self.refresh = refresh
        self.retry = retry
        self.requests_sent = 0

    def select(self, query: str) -> list[Row]:
        """The solutions of a SELECT query, each a dict of the bound variables."""
        cached = None if self.refresh or self.cache is None else self.cache.get(self.url, query)
        if cached is not None:
            result = answer_result(cached)
        elif self.offline:
            raise EndpointError(
                f"{self.url}: a query is not in the response cache and --offline forbids "
                "asking; run once without --offline"
            )
        else:
            answer, result = self._ask(query)
            if self.cache is not None:
                self.cache.put(query, answer)
        return [
            {name: term for name, term in zip(result.variables, row, strict=True) if term}
            for row in result.rows
        ]

    def _ask(self, query: str) -> tuple[RemoteAnswer, QueryResult]:
        """The answer and its results, after at most ``retry.attempts`` requests."""
        for attempt in range(1, self.retry.attempts + 1):
            try:
                self.requests_sent += 1
                answer = fetch_remote(
                    query, self.url, "SELECT", self.retry.timeout, self.user_agent
                )
                # A 200 that is not SPARQL JSON raises here, and is retried.
                return answer, answer_result(answer)
            except EndpointError as exc:
                if not exc.transient or attempt == self.retry.attempts:
                    raise self._gave_up(exc, attempt) from None
                wait = exc.retry_after
                if wait is None:
                    wait = self.retry.backoff * 2 ** (attempt - 1)
                elif wait > LONGEST_WAIT:
                    raise EndpointError(
                        f"{exc} — the server asks to wait {wait:g} s, longer than kg waits "
                        f"({LONGEST_WAIT:g} s); try again later"
                    ) from None
                time.sleep(wait)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _gave_up(self, exc: EndpointError, attempt: int) -> EndpointError:
        if attempt == 1:
            return exc
        return EndpointError(f"{exc} (gave up after {attempt} attempts)", status=exc.status)


_USER_AGENT = re.compile(r"\S+/\S+ .*\((?=[^)]*(?:https?://|@))[^)]+\)")


def check_user_agent(value: str) -> str:
    """``value`` if it has the form Wikimedia asks for: ``tool/version (contact URL or
    e-mail)``; a ConfigError otherwise."""
    if not _USER_AGENT.fullmatch(value.strip()):
        raise ConfigError(
            f"user agent {value!r} should read 'tool/version (contact URL or e-mail)', "
            "e.g. 'mylab-kg/1.0 (https://lab.example.org; me@example.org)'"
        )
    return value.strip()


def literal_text(term: Term | None) -> str:
    """The lexical form of a literal (or an IRI's text), '' for none."""
    if isinstance(term, ox.Literal | ox.NamedNode):
        return term.value
    return ""
