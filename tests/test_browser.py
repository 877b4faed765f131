"""A real browser (Debian's headless chromium, driven by Playwright) on the published site
and on ``kg serve``'s query page.

Screenshots of each are written to the test's folder and listed in the "figures" section of
the test output, so that a person can look at them. ``.ci/run`` installs chromium.
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from conftest import first_line
from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
SAMPLE_GRAPH = REPO / "exports" / "graph.nt"
HOSTILE_GRAPH = REPO / "tests" / "data" / "hostile-pages.ttl"
RICH_INPUTS = [
    REPO / "tests" / "data" / "bibtex" / "dblp.bib",
    REPO / "tests" / "data" / "csljson" / "zotero.json",
]
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail("Debian's chromium is missing: `apt-get install chromium` (.ci/run does)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
        assert errors == [], f"JavaScript errors on the page: {errors}"
    finally:
        context.close()


def kg(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kg", *args], capture_output=True, text=True, check=False
    )


def test_the_published_site_in_a_browser(
    page: Page, tmp_path: Path, report_figure: Callable[[str], None]
) -> None:
    site = tmp_path / "site"
    result = kg("publish", "--data", str(SAMPLE_GRAPH), "-o", str(site))
    assert result.returncode == 0, result.stderr

    page.goto((site / "index.html").as_uri())
    assert "Maxime Peyrard" in page.title() + page.inner_text("body")
    network = page.locator("svg").first
    box = network.bounding_box()
    assert box is not None and box["width"] > 200 and box["height"] > 200
    assert network.locator("text", has_text="Maxime Peyrard").count() >= 1
    shot = tmp_path / "site-index.png"
    page.screenshot(path=shot, full_page=True)
    report_figure(f"screenshot of the published site: {shot}")

    page.locator("a[href*='paper/fly-swat-or-cannon']").first.click()
    page.wait_for_load_state()
    assert "Fly-Swat or Cannon?" in page.inner_text("h1")
    byline = page.inner_text(".byline")
    authors = ["Marija Šakota", "Maxime Peyrard", "Robert West"]
    positions = [byline.index(name) for name in authors]
    assert positions == sorted(positions), "authors are not shown in order"
    embedded = page.locator("script[type='application/ld+json']").first.text_content() or ""
    assert '"@context"' in embedded and "ScholarlyArticle" in embedded
    shot = tmp_path / "site-paper.png"
    page.screenshot(path=shot, full_page=True)
    report_figure(f"screenshot of a paper page: {shot}")

    page.get_by_role("link", name="Robert West").first.click()
    page.wait_for_load_state()
    assert "Grammar-Constrained Decoding" in page.inner_text("body")


def test_a_paper_page_shows_its_venue_and_doi_link(
    page: Page, tmp_path: Path, report_figure: Callable[[str], None]
) -> None:
    exports, site = tmp_path / "exports", tmp_path / "site"
    result = kg("build", *map(str, RICH_INPUTS), "-o", str(exports))
    assert result.returncode == 0, result.stderr
    result = kg("publish", "--data", str(exports / "graph.nt"), "-o", str(site))
    assert result.returncode == 0, result.stderr

    page.goto((site / "paper" / "segmenting-speech-without-transcripts.html").as_uri())
    venue = page.locator(".citation cite a")
    assert venue.is_visible() and venue.inner_text() == "Trans. Assoc. Comput. Linguistics"
    assert "10(3), 812–829, 2022" in page.inner_text(".citation")
    doi = page.locator("a[href='https://doi.org/10.1162/tacl_a_00999']")
    assert doi.count() == 1 and doi.is_visible() and doi.inner_text() == "10.1162/tacl_a_00999"
    shot = tmp_path / "site-rich-paper.png"
    page.screenshot(path=shot, full_page=True)
    report_figure(f"screenshot of a paper page with its venue and DOI: {shot}")

    venue.click()
    page.wait_for_load_state()
    assert page.inner_text("h1") == "Trans. Assoc. Comput. Linguistics"
    assert page.locator("a[href$='paper/segmenting-speech-without-transcripts.html']").count() == 1


@contextmanager
def kg_serve(graph: Path, *options: str) -> Iterator[str]:
    """``kg serve`` of ``graph`` in its own process; yields its URL once it listens."""
    server = subprocess.Popen(  # its errors go to stderr, which pytest shows on failure
        [sys.executable, "-m", "kg", "serve", "--data", str(graph), "--port", "0", *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        yield first_line(server).split()[1]  # "serving http://127.0.0.1:PORT/ (...)"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
def served() -> Iterator[str]:
    with kg_serve(SAMPLE_GRAPH) as url:
        yield url


def test_the_query_page_runs_a_canned_query(
    page: Page, served: str, tmp_path: Path, report_figure: Callable[[str], None]
) -> None:
    page.goto(served)
    page.select_option("#canned", "papers-per-author")
    page.click("#run")
    rows = page.locator("#results table tbody tr")
    rows.first.wait_for(timeout=15_000)
    assert rows.count() == 46  # one row per person of the sample
    assert "Maxime Peyrard" in page.inner_text("#results")
    shot = tmp_path / "query-page.png"
    page.screenshot(path=shot, full_page=True)
    report_figure(f"screenshot of the query page: {shot}")

    page.fill("#query", "SELECT * WHERE { ?s ?p }")
    page.click("#run")
    error = page.locator("#error")
    error.wait_for(state="visible", timeout=15_000)
    assert error.inner_text().strip() != ""


def test_a_shared_address_opens_and_runs_its_query(page: Page, served: str) -> None:
    query = (
        "SELECT ?name WHERE { ?person a <http://schema.org/Person> ; "
        '<http://schema.org/name> ?name FILTER(STRSTARTS(?name, "Maxime P")) }'
    )
    page.goto(f"{served}?query={quote(query)}")
    cell = page.locator("#results table tbody tr td")
    cell.first.wait_for(timeout=15_000)
    assert [cell.nth(i).inner_text() for i in range(cell.count())] == ["Maxime Peyrard"]
    assert page.input_value("#query") == query
    assert page.input_value("#canned") == ""  # not one of the canned queries


def test_running_a_query_puts_it_in_the_address(page: Page, served: str) -> None:
    page.goto(served)
    page.select_option("#canned", "papers-per-author")
    page.click("#run")
    rows = page.locator("#results table tbody tr")
    rows.first.wait_for(timeout=15_000)
    shared = page.url
    (text,) = parse_qs(urlsplit(shared).query)["query"]
    assert text == page.input_value("#query")
    assert "papers-per-author" not in shared and "SELECT" in text
    page.goto(served)  # elsewhere, then back by the address alone
    page.goto(shared)
    rows.first.wait_for(timeout=15_000)
    assert rows.count() == 46
    assert page.input_value("#canned") == "papers-per-author"


def test_the_query_page_has_the_sites_style_and_leads_to_entities_and_back(
    page: Page, served: str
) -> None:
    page.goto(served)
    header = page.locator("header a")
    assert header.inner_text() == "Publications of Maxime Peyrard"
    background = page.evaluate("getComputedStyle(document.body).fontFamily")
    assert "system-ui" in background
    page.select_option("#canned", "papers-per-author")
    page.click("#run")
    page.locator("#results a[href*='person/']").first.click()
    page.wait_for_load_state()
    assert page.locator("p.kind").inner_text() == "PERSON"  # the site's person page
    page.locator("header a").click()  # the site's header leads back to the query page
    page.wait_for_load_state()
    assert page.locator("#query").is_visible()


def test_a_capped_answer_says_so_on_the_query_page(page: Page) -> None:
    with kg_serve(SAMPLE_GRAPH, "--max-rows", "5") as url:
        page.goto(f"{url}?query={quote('SELECT * WHERE { ?s ?p ?o }')}")
        note = page.locator("#results .capped")
        note.wait_for(timeout=15_000)
        assert note.inner_text() == "first 5 rows: the server caps answers at 5"
        assert page.locator("#results table tbody tr").count() == 5


def test_hostile_iris_in_results_are_not_links_and_names_stay_isolated(page: Page) -> None:
    query = "SELECT ?o ?name WHERE { ?s ?p ?o OPTIONAL { ?o <http://schema.org/name> ?name } }"
    with kg_serve(HOSTILE_GRAPH) as url:
        page.goto(f"{url}?query={quote(query)}")
        page.locator("#results table tbody tr").first.wait_for(timeout=15_000)
        shown = page.inner_text("#results")
        for iri in ("javascript:alert(1)", "JaVaScRiPt:alert(2)", "data:text/html;base64,"):
            assert iri in shown
        targets = page.eval_on_selector_all("#results a", "links => links.map(a => a.href)")
        assert targets and all(t.startswith(("http://", "https://")) for t in targets), targets
        assert f"{url}javascript:alert(7)" in targets  # a path under the base, not a script
        # Every value is a <bdi>: the override in Ann's name stays inside her cell's text.
        assert page.locator("#results td bdi", has_text="Ann").count() >= 1
        assert page.locator("#results td:not(:empty):not(:has(bdi))").count() == 0


def right_edges_in_order(page: Page, selector: str) -> bool:
    """Whether the elements matched come left to right, as written (LTR)."""
    boxes = page.eval_on_selector_all(
        selector,
        "es => es.map(e => [e.getBoundingClientRect().left, e.getBoundingClientRect().right])",
    )
    return len(boxes) > 1 and all(a[1] <= b[0] for a, b in itertools.pairwise(boxes))


def test_a_right_to_left_override_in_a_name_reorders_nothing_after_it(
    page: Page, tmp_path: Path
) -> None:
    """Ann's name holds U+202E. Shown as written, the next author, the picture's count
    and the keyword after hers stay to the right of it (without isolation they move left)."""
    site = tmp_path / "site"
    result = kg("publish", "--data", str(HOSTILE_GRAPH), "-o", str(site))
    assert result.returncode == 0, result.stderr
    page.goto((site / "paper" / "one.html").as_uri())
    assert right_edges_in_order(page, ".byline a")
    assert right_edges_in_order(page, ".keywords .keyword")
    page.goto((site / "index.html").as_uri())
    positions = page.evaluate(
        """() => {
        const label = [...document.querySelectorAll("svg text")]
            .find((text) => text.textContent.startsWith("Ann"));
        const name = label.querySelector("tspan.name").getNumberOfChars();
        const xs = [];
        for (let i = 0; i < label.getNumberOfChars(); i++) {
            xs.push(label.getStartPositionOfChar(i).x);
        }
        return [xs.slice(0, name), xs.slice(name)];
        }"""
    )
    name, count = positions
    assert count and min(count) >= max(name), positions  # the count starts where it ends
    with kg_serve(HOSTILE_GRAPH) as url:
        page.goto(url + "paper/one")
        assert right_edges_in_order(page, ".byline a")
