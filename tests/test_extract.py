"""Extraction on fixture pages: structured data, visible page, encodings, non-articles."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from archive.export import COLUMNS
from archive.schema import load_schema
from scraper.extract import analyse_page, extract_article
from scraper.extract.cli import main as extract_cli
from scraper.record import CRAWL_FIELDS, EXTRACTED_FIELDS, content_hash, word_count
from tests.support.paths import NEWS_EXTRACT, PAGES, ROOT


def test_every_field_is_present_with_its_one_type(page: Any) -> None:
    record = extract_article(page("og-only.html"), "https://citylights.example/culture/night-market-returns")
    assert list(record) == list(EXTRACTED_FIELDS)
    crawl = {"crawled_at": "2026-06-06T10:00:00+00:00", "spider": "article", "run_id": "r1", "http_status": 200}
    errors = list(Draft202012Validator(load_schema()).iter_errors({**record, **crawl}))
    assert errors == []
    assert set(CRAWL_FIELDS).isdisjoint(record)


def test_the_record_schema_and_the_archive_export_list_the_record_fields_in_order() -> None:
    # the archive package cannot import scraper, so it names the fields itself: the three lists must not drift
    fields = [*EXTRACTED_FIELDS, *CRAWL_FIELDS]
    assert list(load_schema()["properties"]) == fields
    assert fields == COLUMNS


def test_json_ld_graph_resolves_references_and_skips_organisation_authors(page: Any) -> None:
    record = extract_article(page("graph-jsonld.html"), "https://lokal.example/2026/05/02/radweg/")
    assert record["title"] == "Stadtrat beschließt neuen Radweg"
    assert record["authors"] == ["Katrin Müller"]  # the dpa Organization is not a person
    assert record["published_at"] == "2026-05-02T14:20:00+02:00"
    assert record["modified_at"] == "2026-05-03T08:00:00+02:00"
    assert record["section"] == "Verkehr"
    assert record["tags"] == ["Radweg", "Stadtrat", "Verkehr"]
    assert record["language"] == "de-DE"
    assert record["site_name"] == "Lokalanzeiger"
    assert record["image"] == {
        "url": "https://lokal.example/img/radweg.jpg",
        "caption": "Der geplante Radweg am Fluss.",
    }
    assert record["text"].startswith("Der Stadtrat hat am Donnerstagabend")
    assert "Start" not in record["text"]


def test_malformed_json_ld_block_does_not_hide_the_valid_one(page: Any) -> None:
    record = extract_article(page("malformed-jsonld.html"), "https://baycourier.example/news/dredging")
    assert record["authors"] == ["Dana Whitfield"]
    assert record["published_at"] == "2026-04-09T06:00:00-04:00"
    assert record["site_name"] == "Bay Courier"


def test_opengraph_only_page(page: Any) -> None:
    record = extract_article(
        page("og-only.html"), "https://citylights.example/culture/night-market-returns?utm_source=x"
    )
    assert record["title"] == "Night market returns to the old quarter"  # no " — City Lights" suffix
    assert record["description"] == "Forty stalls, live music and late buses every Friday until September."
    assert record["canonical_url"] == "https://citylights.example/culture/night-market-returns"
    assert record["published_at"] == "2026-06-05T19:00:00+02:00"
    assert record["modified_at"] == "2026-06-06T10:15:00+02:00"
    assert record["language"] == "fr-FR"
    assert record["tags"] == ["Markets", "Nightlife"]
    assert record["section"] == "Culture"
    assert record["image"] == {"url": "https://citylights.example/media/night-market.jpg", "caption": None}
    assert record["authors"] == []  # article:author is a profile URL, not a name


def test_byline_in_visible_text_only(page: Any) -> None:
    record = extract_article(page("byline-only.html"), "https://museum-news.example/lighthouse-diary")
    assert record["authors"] == ["Rob Ellis", "Nadia Karim"]  # no "By", no "Email The Author"
    assert record["published_at"] == "2026-02-11T12:30:00+00:00"
    assert record["title"] == "Lighthouse keeper's diary goes on display"


def test_cp1252_page_declared_only_in_meta_charset(page: Any) -> None:
    data = page("cp1252-meta.html")
    record = extract_article(data, "https://gazette.example/cafe")
    assert record["title"] == "Le café de la gare rouvre ses portes"
    assert "« Nous avons gardé le comptoir d’origine »" in record["text"]
    assert "terrasse chauffée qui donne sur les quais — un vrai succès" in record["text"]
    assert "\ufffd" not in record["text"]
    # The same bytes behind a server that claims UTF-8: the page's own declaration decodes them cleanly.
    assert extract_article(data, "https://gazette.example/cafe", content_type="text/html; charset=utf-8") == record


def test_not_an_article_is_a_clear_outcome(page: Any) -> None:
    result = analyse_page(page("not-article.html"), "https://riverside.example/tag/flooding/")
    assert result.not_article == "not_article (collectionpage)"
    assert result.record["title"] == "Tag: Flooding"


def test_bad_input_never_raises() -> None:
    assert analyse_page(b"", "https://x.example/").not_article == "empty"
    assert analyse_page(b"%PDF-1.7 ...", "https://x.example/a", content_type="text/html").not_article == (
        "not_html (application/pdf)"
    )
    assert analyse_page(b"\x00\x00<<<>>>", "https://x.example/").not_article is not None
    record = extract_article("<html><body><p>Hi</p></body></html>", "https://x.example/")
    assert record["text"] == "" or record["word_count"] == word_count(record["text"])


def test_text_is_paragraphs_without_the_title_repeated() -> None:
    html = """<html><head><title>Tide tables change</title>
    <meta name="description" content="New tables from April."></head><body><article>
    <h1>Tide tables change</h1><p>Tide tables change</p><p>New tables from April.</p>
    <p>The harbour office will publish new tide tables from April, using the national survey's model for the
    first time instead of the local gauge, which was damaged in the winter storms.</p>
    <p>Line one<br>Line two of the same verse, which the poet wanted kept on its own line in print.</p>
    </article></body></html>"""
    record = extract_article(html, "https://x.example/tides")
    paragraphs = record["text"].split("\n\n")
    assert paragraphs[0] == "New tables from April."  # the standfirst is the article's text (issue 11)
    assert paragraphs[1].startswith("The harbour office will publish")
    assert paragraphs[2] == "Line one\nLine two of the same verse, which the poet wanted kept on its own line in print."
    assert record["content_hash"] == content_hash(record["text"].upper())  # normalised: case does not count


def test_cli_prints_one_json_record_per_file() -> None:
    files = [str(PAGES / "og-only.html"), str(PAGES / "byline-only.html")]
    done = subprocess.run(
        [sys.executable, "-m", "scraper.extract", "--url", "https://a.example/x", *files],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    lines = done.stdout.splitlines()
    assert [json.loads(line)["title"] for line in lines] == [
        "Night market returns to the old quarter",
        "Lighthouse keeper's diary goes on display",
    ]


def test_cli_uses_the_canonical_link_and_reads_stdin() -> None:
    data = (PAGES / "og-only.html").read_bytes()
    done = subprocess.run(
        [sys.executable, "-m", "scraper.extract", "-"], input=data, capture_output=True, cwd=ROOT, check=True
    )
    assert json.loads(done.stdout)["url"] == "https://citylights.example/culture/night-market-returns"


def test_cli_stops_quietly_when_its_reader_goes_away() -> None:
    # `news-extract saved/*.html | head -1`: more output than a pipe holds, and the reader closes after a line
    page = str(PAGES / "og-only.html")
    with subprocess.Popen(
        [NEWS_EXTRACT, *[page] * 300], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT
    ) as child:
        assert child.stdout is not None and child.stderr is not None
        first = child.stdout.readline()
        child.stdout.close()
        err = child.stderr.read().decode()
        assert child.wait(timeout=60) == 0, err
    assert json.loads(first)["title"] and "Traceback" not in err and "BrokenPipe" not in err


def test_cli_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert extract_cli(["/nonexistent/page.html"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip().count("\n") == 0 and "cannot read /nonexistent/page.html" in err


def test_no_control_character_or_lone_surrogate_reaches_any_field() -> None:
    bad = "\x00\x01\x07\u2028\u2029\x0b\x1b\x85"
    paragraphs = "".join(
        f"<p>Paragraph {i} has some{bad} words, and more words to make it long enough to keep.</p>" for i in range(8)
    )
    html = (
        f'<html lang="en"><head><title>T{bad}itle</title><meta property="og:site_name" content="Si{bad}te">'
        f'<meta property="article:section" content="Sec{bad}tion"><meta property="article:tag" content="ta{bad}g">'
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Head\\ud83dline", '
        f'"datePublished": "2026-01-01T00:00:00Z", "author": {{"@type": "Person", "name": "Jane{bad} Doe"}}, '
        f'"image": {{"url": "https://x.example/i{bad}.jpg", "caption": "cap{bad}tion"}}}}</script>'
        f'<link rel="canonical" href="https://x.example/a{bad}b"></head>'
        f"<body><article><h1>Head line</h1>{paragraphs}</article></body></html>"
    )
    record = extract_article(html.encode("utf-8"), "https://x.example/a")
    line = json.dumps(record, ensure_ascii=False)
    line.encode("utf-8")  # no lone surrogate left: it would not encode
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]", line)
    assert record["title"] == "Head\ufffdline"
    assert record["canonical_url"] == "https://x.example/ab"
    assert record["image"] == {"url": "https://x.example/i.jpg", "caption": "cap tion"}
    assert record["authors"] == ["Jane Doe"] and record["site_name"] == "Si te" and record["section"] == "Sec tion"


def _xhtml_variants() -> dict[str, tuple[bytes | str, str | None]]:
    """The XHTML fixture (XML declaration, XHTML 1.0 doctype, xmlns) as servers really send it."""
    page = (PAGES / "xhtml-declared.html").read_text("utf-8")

    def declared(name: str) -> str:
        return page.replace('encoding="utf-8"', f'encoding="{name}"').replace("charset=utf-8", f"charset={name}")

    pad = " \n\t\r" * 200  # 800 bytes of leading whitespace
    return {
        "utf-8 bytes": (page.encode("utf-8"), None),
        "str": (page, None),
        "served as application/xhtml+xml": (page.encode("utf-8"), "application/xhtml+xml"),
        "windows-1252 declared": (declared("windows-1252").encode("cp1252"), "text/html"),
        "iso-8859-1 declared (read as windows-1252, as browsers do)": (declared("iso-8859-1").encode("cp1252"), None),
        "BOM + declaration": (b"\xef\xbb\xbf" + page.encode("utf-8"), "text/html; charset=utf-8"),
        "UTF-16 with BOM": (declared("utf-16").encode("utf-16"), None),
        "UTF-16LE without BOM": (declared("utf-16").encode("utf-16-le"), "text/html"),
        "UTF-16BE without BOM": (declared("utf-16").encode("utf-16-be"), None),
        "declares UTF-16, is UTF-8": (declared("utf-16").encode("utf-8"), "text/html"),
        "declares ISO-8859-1, is UTF-8": (declared("iso-8859-1").encode("utf-8"), None),
        "declares UTF-8, is windows-1252": (page.encode("cp1252"), None),
        "800 bytes of whitespace first": ((pad + page).encode("utf-8"), "text/html"),
        "whitespace, no declaration": ((pad * 8 + page.split("\n", 1)[1]).encode("utf-8"), None),
        "whitespace then declaration, str": (pad + page, None),
    }


@pytest.mark.parametrize("variant", list(_xhtml_variants()))
def test_xhtml_with_xml_declaration_or_leading_whitespace_extracts_in_full(variant: str) -> None:
    data, content_type = _xhtml_variants()[variant]
    result = analyse_page(data, "https://gazette.example/2026/05/04/cafe-du-port", content_type=content_type)
    record = result.record
    assert result.not_article is None
    assert record["title"] == "Le café du port rouvre ses portes"
    assert record["authors"] == ["Élodie Marchand"]
    assert record["published_at"] == "2026-05-04T08:15:00+02:00"
    assert record["text"].startswith("Fermé depuis l")
    assert "« comme au premier jour »" in record["text"]
    assert record["text"].endswith("une carte inchangée.")
    assert len(record["text"].split("\n\n")) == 4 and record["word_count"] == 119


@pytest.mark.parametrize(
    "url",
    ["not a url", "ftp://example.com/a", "http://[broken/", "https://example.com:99999/", "javascript:alert(1)", ""],
)
def test_cli_refuses_a_url_that_is_not_a_usable_http_url(url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert extract_cli(["--url", url, str(PAGES / "og-only.html")]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1 and "error: --url" in err and "not an http(s) URL" in err


def test_news_extract_refuses_a_bad_url_with_one_line_and_status_2() -> None:
    done = subprocess.run(
        [NEWS_EXTRACT, "--url", "ftp://example.com/a", str(PAGES / "og-only.html")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and "error: --url" in done.stderr and "not an http(s) URL" in done.stderr


def test_byline_elements_glued_without_spaces_are_read_as_separate_words(page: Any) -> None:
    """ "<span>By</span><span>by</span><a>NADIA OKAFOR</a><span>HARBOUR CITY GAZETTE</span><span>Jun 3</span>":
    each element's edge is a word's edge, "By by" is one "By", and the outlet after the name is not a name."""
    record = extract_article(page("byline-glued.html"), "https://harbourcity.example/news/ferry-timetable")
    assert record["authors"] == ["Nadia Okafor"]


def test_organisations_credited_as_authors_are_their_own_field(page: Any) -> None:
    """JSON-LD authors: a person, an agency typed Person ("AP") and the outlet typed Organization; the outlet
    is left out because others are credited. A byline of an agency and a desk: no person at all."""
    record = extract_article(page("byline-organizations.html"), "https://harbourcity.example/news/coast-road")
    assert record["authors"] == ["Lena Brandt"]
    assert record["organizations"] == ["AP"]
    record = extract_article(page("byline-agency-only.html"), "https://harbourcity.example/news/rail-strike")
    assert record["authors"] == []
    assert record["organizations"] == ["Associated Press", "Harbour City Gazette Staff"]
    assert extract_article(page("og-only.html"), "https://citylights.example/a")["organizations"] == []


def test_records_archived_before_organizations_existed_stay_valid(tmp_path: Any, capsys: Any) -> None:
    """`organizations` is additive within schema version 1: not required, and `cat --fields` gives []."""
    from archive import ArchiveWriter
    from archive.schema import validate
    from tests.support.commands import archive_cli
    from tests.support.records import clock, make_record

    old = make_record(1)
    assert "organizations" not in old and validate(old) == []
    assert validate({**old, "organizations": ["Reuters"]}) == []
    assert validate({**old, "organizations": "Reuters"}) != []
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as writer:
        writer.write(old)
    code, out, _ = archive_cli(capsys, "--root", str(tmp_path), "cat", "--fields", "url,organizations")
    assert code == 0 and json.loads(out)["organizations"] == []
    code, out, _ = archive_cli(capsys, "--root", str(tmp_path), "verify")
    assert code == 0
