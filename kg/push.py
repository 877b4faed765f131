"""Load RDF exports into a SPARQL 1.1 Graph Store Protocol server without a half-loaded graph.

A plain GSP ``PUT`` of a large graph fails in odd ways (proxies cap request sizes, servers
time out, connections drop), and a failure half-way leaves the live graph half replaced. So
the triples go into a fresh staging graph in chunks, the staging graph's size is checked,
and only then one SPARQL update moves it over the target: a server that runs an update as
one transaction (Fuseki, GraphDB, Oxigraph, Neptune) never shows a partial graph, and any
failure before the move leaves the live graph exactly as it was. (Virtuoso 7 moves the
triples in steps that other clients can see; a failure before the move still changes
nothing.)

The size is checked with ``SELECT (COUNT(*) …)`` on the SPARQL query endpoint, not by
downloading the graph: servers cap downloads (Virtuoso's default configuration sends at most
10,001 triples) and a capped download would look like lost data.
"""

from __future__ import annotations

import base64
import heapq
import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import IO, Any, Final

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
    "default_query_url",
    "default_update_url",
    "push",
]

#: Small enough for the usual proxy body limits, large enough to keep requests few.
DEFAULT_CHUNK_BYTES: Final = 8 * 2**20

#: Staging graphs are ``urn:kg:staging:<uuid4>``: unique, so parallel pushes never collide,
#: and recognisable, so a graph left behind by a crashed push can be found and dropped.
STAGING_PREFIX: Final = "urn:kg:staging:"

_NTRIPLES: Final = "application/n-triples; charset=utf-8"
_FORM: Final = "application/x-www-form-urlencoded; charset=utf-8"
_ACCEPT_RESULTS: Final = "application/sparql-results+json"
#: Graph Store and SPARQL endpoint paths whose siblings are fixed: (store path, update and
#: query path). Oxigraph; Fuseki (the dataset segment is kept); Virtuoso, open and secured.
_LAYOUTS: Final = (
    ("store", "update", "query"),
    ("data", "update", "query"),
    ("sparql-graph-crud", "sparql", "sparql"),
    ("sparql-graph-crud-auth", "sparql-auth", "sparql-auth"),
)
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
    query_url: str | None = None,
    graph: str | None = None,
    auth: tuple[str, str] | None = None,
    chunk_bytes: int = DEFAULT_CHUNK_BYTES,
    timeout: float = 60.0,
    user_agent: str = USER_AGENT,
    on_chunk: Callable[[int, int], None] | None = None,
) -> PushReport:
    """Replace ``graph`` (the default graph when None) on a GSP server by the triples of ``files``.

    ``store_url`` is the Graph Store Protocol endpoint (Oxigraph ``…/store``, Fuseki
    ``…/<dataset>/data``, Virtuoso ``…/sparql-graph-crud-auth``), ``update_url`` the SPARQL
    update endpoint of the same dataset and ``query_url`` its query endpoint (default:
    :func:`default_query_url`). The triples are sent as N-Triples in chunks of at most
    ``chunk_bytes`` bytes (a set of triples joined by blank nodes is never split, so it may
    exceed the size alone) into a fresh staging graph; once the server counts as many triples
    in it as were sent, one ``MOVE`` update replaces the target. ``auth`` is sent the way the
    server asks for it, HTTP Basic or Digest. ``on_chunk(sent, total)`` is called after each
    chunk the server accepted (progress bars).

    Raises ConfigError for bad options, InputError for unreadable files or no triples, and
    EndpointError when the server fails; the staging graph is then dropped (best effort:
    a server that died cannot be asked, and the message says which graph remains) and the
    live graph is untouched, unless the move itself was cut off (the message says so).
    """
    target = None if graph is None else check_graph_iri(graph)
    _check_http_url(store_url, "store")
    _check_http_url(update_url, "update")
    query_url = default_query_url(store_url, update_url) if query_url is None else query_url
    _check_http_url(query_url, "query")
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
    if target is None:
        _check_default_graph(client, update_url, staging)
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
        received = client.count_triples(query_url, staging)
        if received != triples:
            raise EndpointError(
                f"sent {triples} triples, but {query_url} counts {received} in the staging "
                f"graph <{staging}> (another client writing to it, or a server that drops "
                "triples or merges blank nodes)"
            )
        moving = True
        client.update(update_url, _move_update(staging, target))
    except BaseException as exc:
        note = _drop_staging(client, staging, staging_url, store_url, query_url)
        if not isinstance(exc, EndpointError):
            raise
        if moving and isinstance(exc, _CutOff):
            fate = "the server may still apply the move: check the target graph"
        else:
            fate = "the live graph is untouched"
        raise EndpointError(f"{exc}; {fate}; {note}") from None
    return PushReport(
        triples=triples,
        chunks=len(chunks),
        bytes=sum(len(body) for body in chunks),
        graph=target,
        staging=staging,
    )


def default_update_url(store_url: str) -> str:
    """The SPARQL update endpoint beside a GSP endpoint, for the layouts that fix it.

    Oxigraph serves ``…/store`` and ``…/update``; Fuseki ``…/<dataset>/data`` and
    ``…/<dataset>/update``; Virtuoso ``…/sparql-graph-crud`` and ``…/sparql`` (and
    ``…/sparql-graph-crud-auth`` and ``…/sparql-auth``). Other servers (GraphDB, Neptune) name
    theirs freely, so guessing would send the update somewhere unrelated: ConfigError instead.
    """
    sibling = _sibling_url(store_url, 1)
    if sibling is None:
        raise ConfigError(
            f"cannot derive the SPARQL update endpoint from {store_url} (known layouts: "
            "Oxigraph …/store -> …/update, Fuseki …/<dataset>/data -> …/<dataset>/update, "
            "Virtuoso …/sparql-graph-crud[-auth] -> …/sparql[-auth]); give --update-endpoint"
        )
    return sibling


def default_query_url(store_url: str, update_url: str) -> str:
    """The SPARQL query endpoint beside a GSP endpoint (the layouts of
    :func:`default_update_url`), or else ``update_url``: the protocol lets one URL answer both,
    as Virtuoso's and Blazegraph's do. It is only read (to count what arrived), so a wrong
    guess fails the push before the move and changes nothing."""
    sibling = _sibling_url(store_url, 2)
    return update_url if sibling is None else sibling


def _sibling_url(store_url: str, which: int) -> str | None:
    """The update (``which`` 1) or query (2) endpoint of a known layout, if it is one."""
    _check_http_url(store_url, "store")
    parts = urllib.parse.urlsplit(store_url)
    head, _, last = parts.path.rstrip("/").rpartition("/")
    for layout in _LAYOUTS:
        # Fuseki's …/data needs a dataset segment before it; a bare /data is not Fuseki.
        if last == layout[0] and (last != "data" or head.strip("/")):
            path = f"{head}/{layout[which]}"
            return urllib.parse.urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    return None


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


def _check_default_graph(client: _Client, update_url: str, staging: str) -> None:
    """Fail before uploading anything if the server cannot write into its default graph.

    ``ADD SILENT GRAPH <staging> TO DEFAULT`` adds the (still empty) staging graph: nothing,
    on a server that has a default graph. Virtuoso has none of its own (a query without FROM
    reads every graph) and refuses the update with 400 Bad Request, as it would the final
    ``MOVE … TO DEFAULT``.
    """
    update = f"ADD SILENT GRAPH <{check_graph_iri(staging)}> TO DEFAULT"
    try:
        client.update(
            update_url, update, f"checking that the default graph can be written ({update})"
        )
    except EndpointError as exc:
        if exc.status != 400:
            raise
        raise EndpointError(
            f"{exc}; this server cannot replace its default graph (Virtuoso keeps none: a "
            "query without FROM reads every graph), so pass --graph IRI and query that graph; "
            "nothing was uploaded",
            status=400,
        ) from None


def _drop_staging(
    client: _Client, staging: str, staging_url: str, store_url: str, query_url: str
) -> str:
    """Delete the staging graph after a failure; the sentence that says what became of it.

    A drop that timed out may still have happened (dropping many triples can outlast a short
    timeout), so the server is then asked whether the graph still holds triples.
    """
    gone = "the staging graph was dropped"
    try:
        client.send("DELETE", staging_url, store_url, "dropping the staging graph", missing_ok=True)
    except _CutOff as exc:
        try:
            left = client.ask(
                query_url, f"ASK {{ GRAPH <{staging}> {{ ?s ?p ?o }} }}", "checking the drop"
            )
        except EndpointError as check:
            return _left_behind(staging, f"{exc}; {check}", "may remain")
        if not left:
            return f"{gone} (its drop outlasted the timeout: {query_url} finds no triples in it)"
        return _left_behind(staging, f"{exc}; {query_url} still finds triples in it")
    except EndpointError as exc:
        return _left_behind(staging, str(exc))
    except Exception as exc:  # the original failure matters more than this one
        return _left_behind(staging, f"{type(exc).__name__}: {exc}")
    return gone


def _left_behind(staging: str, reason: str, fate: str = "could not be dropped") -> str:
    return (
        f"the staging graph <{staging}> {fate} ({reason}): remove it with "
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


class _Credentials:
    """``--auth``, sent the way the server asks: HTTP Basic or Digest (RFC 7616, computed by
    urllib's handler). Nothing is sent until a server answers 401 with its scheme; from then on
    every request carries the answer, so that no chunk travels twice, once to be refused."""

    def __init__(self, user: str, password: str) -> None:
        if ":" in user:
            raise ConfigError("the user name for HTTP authentication cannot hold ':'")
        self.user = user
        self.password = password
        self.scheme: str | None = None
        self.challenge: dict[str, str] = {}
        self._passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
        self._digest = urllib.request.HTTPDigestAuthHandler(self._passwords)

    def sign(self, request: urllib.request.Request) -> None:
        """Add the Authorization header, once the server has said which scheme it wants."""
        if self.scheme == "basic":
            token = base64.b64encode(f"{self.user}:{self.password}".encode()).decode("ascii")
            request.add_unredirected_header("Authorization", f"Basic {token}")
        elif self.scheme == "digest":
            self._passwords.add_password(None, request.full_url, self.user, self.password)
            try:
                answer = self._digest.get_authorization(request, self.challenge)
            except UnicodeEncodeError:
                raise ConfigError(
                    "HTTP Digest authentication needs a user name and password in ASCII"
                ) from None
            except ValueError as exc:  # an algorithm urllib does not know (SHA-256, …)
                raise EndpointError(f"{request.full_url} asks for HTTP Digest with {exc}") from None
            if answer is not None:
                request.add_unredirected_header("Authorization", f"Digest {answer}")

    def answer(self, headers: Message | None) -> bool:
        """Take the scheme a 401 asks for; True if it is one kg can answer (Digest first)."""
        challenges = _challenges(headers)
        if "digest" in challenges:
            params = challenges["digest"]
            self.scheme = "digest"
            self.challenge = urllib.request.parse_keqv_list(
                [item for item in urllib.request.parse_http_list(params) if item]
            )
            return True
        if "basic" in challenges:
            self.scheme = "basic"
            return True
        return False


def _challenges(headers: Message | None) -> dict[str, str]:
    """Scheme (lower case) -> parameters, from each ``WWW-Authenticate`` header of a 401."""
    found: dict[str, str] = {}
    for header in (headers.get_all("WWW-Authenticate") or []) if headers is not None else []:
        scheme, _, params = header.strip().partition(" ")
        found.setdefault(scheme.lower(), params)
    return found


class _Client:
    """HTTP with the timeout, User-Agent and credentials on every request, errors explained."""

    def __init__(self, auth: tuple[str, str] | None, timeout: float, user_agent: str) -> None:
        self.timeout = timeout
        self.headers = {"User-Agent": user_agent}
        self.credentials = None if auth is None else _Credentials(*auth)
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
            with self._open(request) as response:
                response.read()
        except urllib.error.HTTPError as exc:
            if missing_ok and exc.code == 404:
                exc.close()
                return
            raise self._error(exc, named, doing, request) from None
        except (OSError, http.client.HTTPException) as exc:
            raise self._error(exc, named, doing, request) from None

    def count_triples(self, url: str, staging: str) -> int:
        """The number of triples the server holds in a graph: ``SELECT (COUNT(*) …)``."""
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{staging}> {{ ?s ?p ?o }} }}"
        answer = self._query(url, query, "counting the staging graph")
        try:
            count = answer["results"]["bindings"][0]["n"]["value"]
            return int(count)
        except (KeyError, IndexError, TypeError, ValueError):
            raise EndpointError(
                f"counting the staging graph failed: {url} answered {query} with "
                f"{_snippet(json.dumps(answer).encode())}"
            ) from None

    def ask(self, url: str, query: str, doing: str) -> bool:
        """The answer of an ASK query."""
        answer = self._query(url, query, doing)
        if not isinstance(answer.get("boolean"), bool):
            got = _snippet(json.dumps(answer).encode())
            raise EndpointError(f"{doing} failed: {url} answered {query} with {got}")
        return bool(answer["boolean"])

    def update(self, url: str, update: str, doing: str | None = None) -> None:
        """One SPARQL update, form-encoded (the protocol's most widely supported way)."""
        self.send(
            "POST",
            url,
            url,
            doing or f"moving the staging graph into place ({update})",
            body=urllib.parse.urlencode({"update": update}).encode("ascii"),
            content_type=_FORM,
        )

    def _query(self, url: str, query: str, doing: str) -> dict[str, Any]:
        """A form-encoded SPARQL query answered in SPARQL JSON results, as a dictionary."""
        headers = {**self.headers, "Accept": _ACCEPT_RESULTS, "Content-Type": _FORM}
        body = urllib.parse.urlencode({"query": query}).encode("ascii")
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with self._open(request) as response:
                data = response.read()
        except (OSError, http.client.HTTPException) as exc:
            raise self._error(exc, url, doing, request) from None
        try:
            answer = json.loads(data)
        except (UnicodeDecodeError, json.JSONDecodeError):
            answer = None
        if not isinstance(answer, dict):
            raise EndpointError(
                f"{doing} failed: {url} sent no SPARQL JSON results: {_snippet(data)}"
            )
        return answer

    def _open(self, request: urllib.request.Request) -> http.client.HTTPResponse:
        """Open ``request``; after a 401 that names Basic or Digest, once more with credentials."""
        if self.credentials is not None:
            self.credentials.sign(request)
        try:
            response: http.client.HTTPResponse = self.opener.open(request, timeout=self.timeout)
            return response
        except urllib.error.HTTPError as exc:
            if (
                exc.code != 401
                or self.credentials is None
                or not self.credentials.answer(exc.headers)
            ):
                raise
            exc.close()
        self.credentials.sign(request)
        response = self.opener.open(request, timeout=self.timeout)
        return response

    def _error(
        self, exc: BaseException, named: str, doing: str, request: urllib.request.Request
    ) -> EndpointError:
        """The EndpointError for a failed request; _CutOff when no answer came back."""
        message = f"{doing} failed: {_failure(exc, named, self.timeout)}"
        if isinstance(exc, urllib.error.HTTPError) and exc.code == 401:
            message += f" ({_unauthorized(exc, request.has_header('Authorization'))})"
        if isinstance(exc, urllib.error.HTTPError):
            return EndpointError(message, status=exc.code)
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        if not isinstance(reason, ConnectionRefusedError):
            return _CutOff(message)
        return EndpointError(message)


def _unauthorized(exc: urllib.error.HTTPError, sent: bool) -> str:
    """What a 401 asked for, and whether kg had sent credentials."""
    challenges = _challenges(exc.headers)
    if not challenges:
        asked = "it names no authentication scheme (no WWW-Authenticate header)"
    else:
        names = " or ".join(
            f"{scheme.capitalize()}{_realm(params)}" for scheme, params in challenges.items()
        )
        asked = f"it asks for HTTP {names} authentication"
        if not {"basic", "digest"} & challenges.keys():
            return f"{asked}, which kg cannot answer (it does Basic and Digest)"
    if sent:
        return f"{asked}; the credentials sent were refused"
    return f"{asked}; no credentials were sent: give --auth USER"


def _realm(params: str) -> str:
    found = re.search(r'realm="([^"]*)"', params)
    return f' (realm "{found.group(1)}")' if found else ""


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
