"""A real browser (Debian's headless chromium, driven by Playwright) on the published site
and on ``kg serve``'s query page.

Screenshots of each are written to the test's folder and listed in the "figures" section of
the test output, so that a person can look at them. ``.ci/run`` installs chromium.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import free_port
from playwright.sync_api import Browser, Page, sync_playwright

REPO = Path(__file__).resolve().parent.parent
SAMPLE_GRAPH = REPO / "exports" / "graph.nt"
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


@pytest.fixture
def served(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "kg", "serve", "--data", str(SAMPLE_GRAPH), "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"kg serve did not start: {(tmp_path / 'serve.log').read_text()}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


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
