"""Trust in extraction, through real `scrapy crawl` runs: no page comes back empty because of how its
markup starts (XML declaration, leading whitespace), and no prose is cut as boilerplate."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from scraper.siteserver import Site, serve

from .conftest import SITES, CrawlResult, run_crawl


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """tests/sites/trust_extraction served on 127.0.0.1."""
    with serve(SITES / "trust_extraction") as running:
        yield running


def _crawl(site: Site, paths: list[str], tmp_path: Path) -> CrawlResult:
    urls = tmp_path / "urls.txt"
    urls.write_text("".join(f"{site.url}{p}\n" for p in paths), "utf-8")
    result = run_crawl("article", ["-a", f"urls_file={urls}"], tmp_path / "data")
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def test_xhtml_with_xml_declaration_and_whitespace_padded_pages_are_archived_in_full(
        site: Site, tmp_path: Path) -> None:
    result = _crawl(site, ["2026/05/04/cafe-du-port/", "2026/05/04/padded-page/"], tmp_path)
    records = {r["url"].removeprefix(site.url): r for r in result.records()}
    assert set(records) == {"2026/05/04/cafe-du-port/", "2026/05/04/padded-page/"}, result.stderr[-3000:]
    xhtml = records["2026/05/04/cafe-du-port/"]  # <?xml encoding="iso-8859-1"?>, served as application/xhtml+xml
    assert xhtml["title"] == "Le café du port rouvre ses portes"
    assert xhtml["authors"] == ["Élodie Marchand"]
    assert xhtml["text"].startswith("Fermé depuis l’incendie de janvier, le café du port a rouvert samedi matin.")
    assert "Les travaux ont coûté 180 000 €" in xhtml["text"]
    assert xhtml["word_count"] == 119
    padded = records["2026/05/04/padded-page/"]  # 4 KB of whitespace, then a windows-1252 page
    assert padded["title"] == "Harbour ferry timetable changes from June"
    assert padded["text"].split("\n\n") == [
        "The harbour ferry will run every twenty minutes instead of every half hour from the first of June, the "
        "port authority said on Monday.",
        "Two new boats, built in Gdynia and delivered last week, will join the fleet after their sea trials. "
        "“They are quieter and use half the fuel,” the authority’s engineer said.",
        "Fares stay at £2.40 for a single crossing; the café on the pier will open an hour earlier to match the "
        "first sailing.",
    ]
