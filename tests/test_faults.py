"""The fault-injecting stand-in (tests/faults.py) in front of a real Oxigraph server."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from faults import Fault, FaultyProxy

# No proxy, and no default "Python-urllib/3.x" User-Agent: tests choose the agent themselves.
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))
_NO_PROXY.addheaders = []

AGENT = "kg-tests/0.1 (https://example.org/kg; kg@example.org)"
SELECT = "SELECT (COUNT(*) AS ?n) WHERE { ?s a <http://purl.org/ontology/bibo/Document> }"
JSON_RESULTS = "application/sparql-results+json"


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    retry_after: str | None
    body: bytes


def post(url: str, query: str = SELECT, *, agent: str | None = AGENT, timeout: float = 10) -> Reply:
    """POST ``query=`` form-encoded, as SPARQLWrapper does; HTTP errors are replies too."""
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": JSON_RESULTS}
    if agent is not None:
        headers["User-Agent"] = agent
    data = urllib.parse.urlencode({"query": query}).encode("ascii")
    request = urllib.request.Request(url, data=data, headers=headers, method="POST")
    try:
        with _NO_PROXY.open(request, timeout=timeout) as response:
            return Reply(
                response.status,
                response.headers.get("Content-Type", ""),
                response.headers.get("Retry-After"),
                response.read(),
            )
    except urllib.error.HTTPError as exc:
        with exc:
            return Reply(
                exc.code,
                exc.headers.get("Content-Type", ""),
                exc.headers.get("Retry-After"),
                exc.read(),
            )


def article_count(reply: Reply) -> int:
    assert reply.status == 200, reply
    assert reply.content_type.startswith(JSON_RESULTS)
    return int(json.loads(reply.body)["results"]["bindings"][0]["n"]["value"])


@pytest.fixture
def proxy(oxigraph_endpoint: str) -> Iterator[FaultyProxy]:
    with FaultyProxy(oxigraph_endpoint) as running:
        yield running


def test_forwards_a_form_encoded_select(proxy: FaultyProxy, oxigraph_endpoint: str) -> None:
    assert proxy.url.startswith("http://127.0.0.1:")
    assert proxy.url.endswith("/query")
    assert proxy.url != oxigraph_endpoint
    assert article_count(post(proxy.url)) == article_count(post(oxigraph_endpoint)) == 2


def test_forwards_get_with_query_string(proxy: FaultyProxy) -> None:
    url = proxy.url + "?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"})
    request = urllib.request.Request(url, headers={"Accept": JSON_RESULTS})
    with _NO_PROXY.open(request, timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read())["boolean"] is True


def test_relays_upstream_errors(proxy: FaultyProxy) -> None:
    reply = post(proxy.url, "SELECT WHERE {")
    assert reply.status == 400
    assert reply.body


def test_records_every_request(proxy: FaultyProxy) -> None:
    before = time.monotonic()
    post(proxy.url)
    proxy.script(Fault("429"))
    post(proxy.url, "ASK { ?s ?p ?o }")
    assert [(seen.method, seen.path) for seen in proxy.requests] == [
        ("POST", "/query"),
        ("POST", "/query"),
    ]
    first, second = proxy.requests
    assert before <= first.at <= second.at <= time.monotonic()
    assert first.headers["User-Agent"] == AGENT
    assert first.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert urllib.parse.parse_qs(first.body.decode()) == {"query": [SELECT]}
    assert urllib.parse.parse_qs(second.body.decode()) == {"query": ["ASK { ?s ?p ?o }"]}


def test_429_once_with_retry_after(proxy: FaultyProxy) -> None:
    proxy.script(Fault("429", retry_after="1"))
    reply = post(proxy.url)
    assert reply.status == 429
    assert reply.retry_after == "1"
    assert reply.content_type.startswith("text/plain")
    assert reply.body
    assert proxy.pending == 0
    assert article_count(post(proxy.url)) == 2


def test_429_without_retry_after(proxy: FaultyProxy) -> None:
    proxy.script(Fault("429"))
    reply = post(proxy.url)
    assert reply.status == 429
    assert reply.retry_after is None


def test_503_once_with_html_body(proxy: FaultyProxy) -> None:
    proxy.script(Fault("503", retry_after="2"))
    reply = post(proxy.url)
    assert reply.status == 503
    assert reply.retry_after == "2"
    assert reply.content_type.startswith("text/html")
    assert b"<html>" in reply.body
    assert article_count(post(proxy.url)) == 2


def test_truncated_once(proxy: FaultyProxy) -> None:
    whole = post(proxy.url)
    proxy.script(Fault("truncated"))
    cut = post(proxy.url)
    assert cut.status == 200
    assert cut.content_type == whole.content_type
    assert cut.body == whole.body[: len(whole.body) // 2]
    assert cut.body
    with pytest.raises(json.JSONDecodeError):
        json.loads(cut.body)
    assert post(proxy.url).body == whole.body


def test_html_once(proxy: FaultyProxy) -> None:
    proxy.script(Fault("html"))
    reply = post(proxy.url)
    assert reply.status == 200
    assert reply.content_type.startswith("text/html")
    assert b"<html>" in reply.body
    assert b"Service temporarily unavailable" in reply.body
    assert article_count(post(proxy.url)) == 2


def test_error_text_once(proxy: FaultyProxy) -> None:
    proxy.script(Fault("error-text"))
    reply = post(proxy.url)
    assert reply.status == 200
    assert reply.content_type.startswith(JSON_RESULTS)
    assert b"java.util.concurrent.TimeoutException" in reply.body
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.body)
    assert article_count(post(proxy.url)) == 2


def test_slow_once(proxy: FaultyProxy) -> None:
    proxy.script(Fault("slow", delay=0.3))
    started = time.monotonic()
    assert article_count(post(proxy.url)) == 2
    assert time.monotonic() - started >= 0.3
    assert proxy.pending == 0  # used once: the next request is forwarded at once
    assert article_count(post(proxy.url)) == 2


def test_slow_survives_a_client_that_gives_up(
    proxy: FaultyProxy, capfd: pytest.CaptureFixture[str]
) -> None:
    proxy.script(Fault("slow", delay=0.3))
    with pytest.raises((TimeoutError, socket.timeout, urllib.error.URLError)):
        post(proxy.url, timeout=0.05)
    proxy.wait_for_connections(1)  # the stand-in has answered the closed connection
    assert article_count(post(proxy.url)) == 2
    assert capfd.readouterr().err == ""


def test_faults_apply_in_order_then_requests_pass(proxy: FaultyProxy) -> None:
    proxy.script(Fault("429", retry_after="1"), Fault("503"))
    proxy.script(Fault("html"))
    assert proxy.pending == 3
    statuses = [post(proxy.url).status for _ in range(3)]
    assert statuses == [429, 503, 200]
    assert proxy.pending == 0
    assert article_count(post(proxy.url)) == 2
    assert len(proxy.requests) == 4


def test_requires_user_agent(oxigraph_endpoint: str) -> None:
    with FaultyProxy(oxigraph_endpoint, require_user_agent="kg-tests/") as proxy:
        proxy.script(Fault("429"))
        for agent in (None, "Python-urllib/3.11"):
            refused = post(proxy.url, agent=agent)
            assert refused.status == 403
            assert refused.content_type.startswith("text/plain")
            assert refused.body.startswith(b"Please set a User-Agent")
        assert proxy.pending == 1  # refusals consume no scripted fault
        assert post(proxy.url).status == 429
        assert article_count(post(proxy.url)) == 2
        assert len(proxy.requests) == 4
        assert "User-Agent" not in proxy.requests[0].headers


def test_url_needs_start_and_stop_is_idempotent(oxigraph_endpoint: str) -> None:
    proxy = FaultyProxy(oxigraph_endpoint)
    with pytest.raises(RuntimeError):
        _ = proxy.url
    proxy.start()
    url = proxy.url
    assert article_count(post(url)) == 2
    proxy.stop()
    proxy.stop()
    with pytest.raises(urllib.error.URLError):
        post(url, timeout=2)


def test_rejects_bad_faults_and_upstreams() -> None:
    with pytest.raises(ValueError):
        Fault("418")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        Fault("slow", delay=-1)
    with pytest.raises(ValueError):
        FaultyProxy("ftp://127.0.0.1/query")
