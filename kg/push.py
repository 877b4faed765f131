"""Load RDF exports into a SPARQL 1.1 Graph Store Protocol server without a half-loaded graph.

A plain GSP ``PUT`` of a large graph fails in odd ways (proxies cap request sizes, servers
time out, connections drop), and a failure half-way leaves the live graph half replaced. So
the triples go into a fresh staging graph in chunks, the staging graph's size is checked,
and only then one SPARQL update moves it over the target: a server that runs an update as
one transaction (Fuseki, GraphDB, Oxigraph, Neptune) never shows a partial graph, and any
failure before the move leaves the live graph exactly as it was.
"""

from __future__ import annotations

import base64
import heapq
import http.client
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Final

import pyoxigraph as ox

from kg.errors import ConfigError, EndpointError, InputError
from kg.queries import USER_AGENT
from kg.rdfio import load_store
from kg.terms import iri_problem

__all__ = [
    "DEFAULT_CHUNK_BYTES",
    "STAGING_PREFIX",
    "PushReport",
    "check_graph_iri",
    "default_update_url",
    "push",
]

#: Small enough for the usual proxy body limits, large enough to keep requests few.
DEFAULT_CHUNK_BYTES: Final = 8 * 2**20

#: Staging graphs are ``urn:kg:staging:<uuid4>``: unique, so parallel pushes never collide,
#: and recognisable, so a graph left behind by a crashed push can be found and dropped.
STAGING_PREFIX: Final = "urn:kg:staging:"

_NTRIPLES: Final = "application/n-triples; charset=utf-8"
_ACCEPT_GRAPH: Final = "application/n-triples, text/turtle;q=0.9, application/rdf+xml;q=0.5"
_ANSWER_FORMATS: Final[dict[str, ox.RdfFormat]] = {
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "text/plain": ox.RdfFormat.N_TRIPLES,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/x-turtle": ox.RdfFormat.TURTLE,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
}
_HTTP_URL = re.compile(r"https?://[^/?#\s@]+(?:[/?][^\s#]*)?", re.IGNORECASE)


@dataclass(frozen=True)
class PushReport:
    """What a successful push sent: the counts the server confirmed, and where it went."""

    triples: int
    chunks: int
    bytes: int
    graph: str | None
    staging: str


def push(
    files: Sequence[Path],
    store_url: str,
    update_url: str,
    *,
    graph: str | None = None,
    auth: tuple[str, str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    timeout: float = 60.0,
    user_agent: str = USER_AGENT,
    on_chunk: Callable[[int, int], None] | None = None,
) -> PushReport:
    """Replace ``graph`` (the default graph when None) on a GSP server by the triples of ``files``.

    ``store_url`` is the Graph Store Protocol endpoint (Oxigraph ``…/store``, Fuseki
    ``…/<dataset>/data``) and ``update_url`` the SPARQL update endpoint of the same dataset.
    The triples are sent as N-Triples in chunks of at most ``chunk_bytes`` bytes (a set of
    triples joined by blank nodes is never split, so it may exceed the size alone) into a
    fresh staging graph; once the server holds exactly as many triples as were sent, one
    ``MOVE`` update replaces the target. ``on_chunk(sent, total)`` is called after each chunk
    the server accepted (progress bars).

    Raises ConfigError for bad options, InputError for unreadable files or no triples, and
    EndpointError when the server fails; the staging graph is then dropped (best effort:
    a server that died cannot be asked, and the message says which graph remains) and the
    live graph is untouched, unless the move itself was cut off (the message says so).
    """
    target = None if graph is None else check_graph_iri(graph)
    _check_http_url(store_url, "store")
    _check_http_url(update_url, "update")
    if chunk_bytes < 1:
        raise ConfigError(f"chunk size must be a positive number of bytes, not {chunk_bytes}")
    if not timeout > 0:
        raise ConfigError(f"timeout must be a positive number of seconds, not {timeout}")
    client = _Client(auth, timeout, user_agent)

    triples, chunks = _chunked_ntriples(files, chunk_bytes)
    if triples == 0:
        names = ", ".join(Path(path).name for path in files) or "no files"
        raise InputError(f"nothing to push: no triples in {names} (the live graph is kept)")

    staging = f"{STAGING_PREFIX}{uuid.uuid4()}"
    staging_url = _graph_url(store_url, staging)
    # A fresh UUID cannot exist, but a server that cannot even delete is better found now.
    client.send("DELETE", staging_url, store_url, "clearing the staging graph", missing_ok=True)
    moving = False
    try:
        for number, body in enumerate(chunks, 1):
            client.send(
                "POST",
                staging_url,
                store_url,
                f"uploading chunk {number} of {len(chunks)} ({len(body)} bytes)",
                body=body,
                content_type=_NTRIPLES,
            )
            if on_chunk is not None:
                on_chunk(number, len(chunks))
        received = client.count_triples(staging_url, store_url)
        if received != triples:
            raise EndpointError(
                f"{store_url} holds {received} triples in the staging graph after {triples} "
                "were sent (another client writing to it, or a server that drops data)"
            )
        moving = True
        client.update(update_url, _move_update(staging, target))
    except BaseException as exc:
        left = _drop_quietly(client, staging_url, store_url)
        if not isinstance(exc, EndpointError):
            raise
        if moving and isinstance(exc, _CutOff):
            fate = "the server may still apply the move: check the target graph"
        else:
            fate = "the live graph is untouched"
        raise EndpointError(f"{exc}; {fate}{_staging_note(staging, left)}") from None
    return PushReport(
        triples=triples,
        chunks=len(chunks),
        bytes=sum(len(body) for body in chunks),
        graph=target,
        staging=staging,
    )


def default_update_url(store_url: str) -> str:
    """The SPARQL update endpoint beside a GSP endpoint, for the two layouts that fix it.

    Oxigraph serves ``…/store`` and ``…/update``; Fuseki serves ``…/<dataset>/data`` and
    ``…/<dataset>/update``. Other servers (GraphDB, Virtuoso, Neptune) name theirs freely,
    so guessing would send the update somewhere unrelated: ConfigError instead.
    """
    _check_http_url(store_url, "store")
    parts = urllib.parse.urlsplit(store_url)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last == "store" or (last == "data" and head.strip("/")):
        new_path = f"{head}/update"  # Oxigraph, or Fuseki (which needs a dataset segment)
    else:
        raise ConfigError(
            f"cannot derive the SPARQL update endpoint from {store_url} (known layouts: "
            "Oxigraph …/store -> …/update, Fuseki …/<dataset>/data -> …/<dataset>/update); "
            "give --update-endpoint"
        )
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))


def check_graph_iri(iri: str) -> str:
    """``iri`` if it is an absolute IRI that can be written as ``<iri>`` in SPARQL.

    Graph names are written into the update text, so anything that could end the IRI or
    break the request is refused here rather than escaped.
    """
    problem = iri_problem(iri)
    if problem is not None:
        raise ConfigError(f"graph name {iri!r} is not a valid IRI: {problem}")
    return iri


def _check_http_url(url: str, what: str) -> None:
    """Refuse anything but http(s) URLs: urllib would also open file: and ftp: ones."""
    if not _HTTP_URL.fullmatch(url):
        raise ConfigError(
            f"{what} endpoint {url!r} is not an http:// or https:// URL "
            "(without user:password@ or #fragment; give credentials with --auth)"
        )


def _graph_url(store_url: str, graph_iri: str) -> str:
    """The GSP address of a named graph (``?graph=`` added to any query the URL has)."""
    separator = "&" if "?" in store_url else "?"
    return f"{store_url}{separator}graph={urllib.parse.quote(graph_iri, safe='')}"


def _move_update(staging: str, target: str | None) -> str:
    """``MOVE GRAPH <staging> TO <target>``; both IRIs were validated.

    Deliberately not ``MOVE SILENT``: if the staging graph vanished after it was counted
    (another client cleaning up), a silent move empties the target on Oxigraph and is
    allowed to by the spec (DROP target, then copy nothing); a plain move fails instead.
    """
    check_graph_iri(staging)
    destination = "DEFAULT" if target is None else f"<{check_graph_iri(target)}>"
    return f"MOVE GRAPH <{staging}> TO {destination}"


def _chunked_ntriples(files: Sequence[Path], chunk_bytes: int) -> tuple[int, list[bytes]]:
    """The number of distinct triples in ``files`` and their N-Triples, cut into chunks.

    Each POST is a separate document, and a server mints new blank nodes for every document,
    so a blank node written in two chunks would become two nodes. Triples are therefore
    grouped into units: one triple without blank nodes, or every triple of one connected set
    of blank nodes (an author list: its cells and the paper's ``bibo:authorList`` triple).
    Units never straddle chunks. Lines are sorted, and units ordered by their first line.
    """
    store = load_store(list(files))
    plain: list[bytes] = []
    parent: dict[str, str] = {}
    linked: list[tuple[str, bytes]] = []

    def root(label: str) -> str:
        parent.setdefault(label, label)
        while parent[label] != label:
            parent[label] = parent[parent[label]]
            label = parent[label]
        return label

    for quad in store:
        subject, obj = quad.subject, quad.object
        line = f"{subject} {quad.predicate} {obj} .\n".encode()
        blank = [term.value for term in (subject, obj) if isinstance(term, ox.BlankNode)]
        if not blank:
            plain.append(line)
            continue
        if len(blank) == 2:
            first, second = root(blank[0]), root(blank[1])
            if first != second:
                parent[second] = first
        linked.append((blank[0], line))
    del store

    groups: dict[str, list[bytes]] = {}
    for label, line in linked:
        groups.setdefault(root(label), []).append(line)
    del linked
    plain.sort()
    units = sorted((sorted(lines) for lines in groups.values()), key=lambda unit: unit[0])
    del groups
    triples = len(plain) + sum(len(unit) for unit in units)
    merged = heapq.merge(((line,) for line in plain), units, key=lambda unit: unit[0])
    return triples, list(_pack(merged, chunk_bytes))


def _pack(units: Iterable[Sequence[bytes]], chunk_bytes: int) -> Iterator[bytes]:
    """Join units into bodies of at most ``chunk_bytes`` (a larger unit goes alone)."""
    chunk: list[bytes] = []
    size = 0
    for unit in units:
        unit_size = sum(len(line) for line in unit)
        if chunk and size + unit_size > chunk_bytes:
            yield b"".join(chunk)
            chunk, size = [], 0
        chunk.extend(unit)
        size += unit_size
    if chunk:
        yield b"".join(chunk)


def _drop_quietly(client: _Client, staging_url: str, store_url: str) -> str | None:
    """Delete the staging graph after a failure; the reason it failed, or None if gone."""
    try:
        client.send("DELETE", staging_url, store_url, "dropping the staging graph", missing_ok=True)
    except EndpointError as exc:
        return str(exc)
    except Exception as exc:  # the original failure matters more than this one
        return f"{type(exc).__name__}: {exc}"
    return None


def _staging_note(staging: str, left: str | None) -> str:
    """The sentence an error ends with: what became of the staging graph."""
    if left is None:
        return "; the staging graph was dropped"
    return (
        f"; the staging graph <{staging}> could not be dropped ({left}): remove it with "
        f"DROP SILENT GRAPH <{staging}>"
    )


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Never follow a redirect: it could carry the credentials and data to another host."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: http.client.HTTPMessage,
        newurl: str,
    ) -> None:
        return None


class _Client:
    """HTTP with the timeout, User-Agent and credentials on every request, errors explained."""

    def __init__(self, auth: tuple[str, str] | None, timeout: float, user_agent: str) -> None:
        self.timeout = timeout
        self.headers = {"User-Agent": user_agent}
        if auth is not None:
            user, password = auth
            if ":" in user:
                raise ConfigError("the user name for HTTP Basic authentication cannot hold ':'")
            token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
            self.headers["Authorization"] = f"Basic {token}"
        self.opener = urllib.request.build_opener(_RefuseRedirects())

    def send(
        self,
        method: str,
        url: str,
        named: str,
        doing: str,
        *,
        body: bytes | None = None,
        content_type: str | None = None,
        missing_ok: bool = False,
    ) -> None:
        """One request whose answer must be 2xx (or 404 with ``missing_ok``)."""
        headers = dict(self.headers)
        if content_type is not None:
            headers["Content-Type"] = content_type
        request = urllib.request.Request(url, data=body, headers=headers, method=method)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                exc.close()
                return
            raise self._error(exc, named, doing) from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._error(exc, named, doing) from None

    def count_triples(self, url: str, named: str) -> int:
        """The number of triples the server returns for a graph (GSP GET, parsed as it streams)."""
        doing = "counting the staging graph"
        headers = {**self.headers, "Accept": _ACCEPT_GRAPH}
        request = urllib.request.Request(url, headers=headers, method="GET")
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                content_type = response.headers.get_content_type()
                rdf_format = _ANSWER_FORMATS.get(content_type)
                if rdf_format is None:
                    raise EndpointError(
                        f"{doing} failed: {named} sent {content_type}, not N-Triples, Turtle "
                        f"or RDF/XML: {_snippet(response.read(400))}"
                    )
                try:
                    return sum(1 for _ in ox.parse(response, format=rdf_format))
                except (SyntaxError, ValueError) as exc:
                    raise EndpointError(
                        f"{doing} failed: {named} sent invalid {content_type}: {exc}"
                    ) from None
        except EndpointError:
            raise
        except urllib.error.HTTPError as exc:
            if exc.code == 404:  # GSP: a graph without triples does not exist
                exc.close()
                return 0
            raise self._error(exc, named, doing) from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._error(exc, named, doing) from None

    def _error(self, exc: BaseException, named: str, doing: str) -> EndpointError:
        """The EndpointError for a failed request; _CutOff when no answer came back."""
        message = f"{doing} failed: {_failure(exc, named, self.timeout)}"
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        answered = isinstance(exc, urllib.error.HTTPError)
        if not answered and not isinstance(reason, ConnectionRefusedError):
            return _CutOff(message)
        return EndpointError(message)

    def update(self, url: str, update: str) -> None:
        """One SPARQL update, form-encoded (the protocol's most widely supported way)."""
        self.send(
            "POST",
            url,
            url,
            f"moving the staging graph into place ({update})",
            body=urllib.parse.urlencode({"update": update}).encode("ascii"),
            content_type="application/x-www-form-urlencoded; charset=utf-8",
        )


class _CutOff(EndpointError):
    """A request that may have reached the server but got no answer (timeout, broken link)."""


def _failure(exc: BaseException, url: str, timeout: float) -> str:
    """What went wrong with a request, naming the URL: status and answer, or the network."""
    if isinstance(exc, urllib.error.HTTPError):
        message = f"{url} answered HTTP {exc.code} {exc.reason}"
        if 300 <= exc.code < 400:
            location = exc.headers.get("Location") if exc.headers else None
            where = f" to {location}" if location else ""
            return message + f" (redirect{where} not followed: give the final URL)"
        try:
            body = exc.read(2000)
        except Exception:
            body = b""
        finally:
            exc.close()
        return message + (f": {_snippet(body)}" if body.strip() else "")
    reason: object = exc.reason if isinstance(exc, urllib.error.URLError) else exc
    if isinstance(reason, TimeoutError):
        return f"{url} did not answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return f"{url} refused the connection (is the server running?)"
    if isinstance(reason, http.client.HTTPException | ConnectionError):
        return f"{url} broke the connection ({type(reason).__name__})"
    if isinstance(reason, OSError):
        return f"{url} cannot be reached: {reason.strerror or reason}"
    return f"{url} cannot be reached: {reason}"


def _snippet(data: bytes, limit: int = 200) -> str:
    """The start of an answer on one line, for error messages."""
    text = " ".join(data.decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit] + "…"
