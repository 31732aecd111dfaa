"""news-archive serve over HTTP (Starlette's TestClient) on a fixture archive written by the real writers."""

from __future__ import annotations

import re
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import pytest
from starlette.testclient import TestClient

from archive import Index, WarcWriter
from archive.warc import Capture
from archive.web import create_app
from archive.web.queries import Store, word_diff
from tests.support import ranking
from tests.support.ranking import write_ranking_archive
from tests.support.records import clock, make_record, write_records
from tests.support.serve import serving

HOSTILE_TITLE = "<script>alert('title')</script> Hostile <b>headline</b>"
HOSTILE_TEXT = (
    "Intro about the quay <img src=x onerror=alert(1)> and </p><script>alert(2)</script> quayside.\n\n"
    "مرحبا بالعالم שלום עולם \u202eevil\u202c mixed direction quay.\n\n"
    "東京都の新しい橋が完成しました quay.\n\n"
    "line\u2028separator and paragraph\u2029separator quay.\n\n" + "x" * 20_000
)
CAPTURED_HTML = (
    b"<!DOCTYPE html><html><head><title>As sent</title><script>document.title='ran'</script></head>"
    b"<body><h1>Captured bridge page</h1><img src='https://tracker.example/pixel.gif'></body></html>"
)


def _capture(url: str, status: int = 200, body: bytes = CAPTURED_HTML) -> Capture:
    return Capture(
        url=url,
        status=status,
        reason="OK" if status == 200 else "Not Found",
        headers=[("Content-Type", "text/html; charset=utf-8")],
        body=body,
        request_headers=[("User-Agent", "test")],
        date=datetime.fromisoformat("2026-02-02T08:00:00+00:00"),
    )


@pytest.fixture(scope="module")
def archive_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two sites over days, a URL revised, a hostile record, a silent site, a run with WARC captures."""
    root = tmp_path_factory.mktemp("web") / "archive"
    root.mkdir()
    day1: list[dict[str, Any]] = [
        make_record(1, site="harbour", title="Bridge opens over the harbour", text="The new bridge opened today."),
        make_record(2, site="harbour", title="Council budget", text="The budget mentions a bridge once. " * 3),
        make_record(3, site="valley", title="Valley fair", text="Nothing about crossings here.", authors=["Bo Chen"]),
        make_record(
            4,
            site="valley",
            title="Catamaran strike",
            text="The catamaran stopped.",
            authors=[],
            organizations=["Reuters"],
            language="de",
            section="business",
        ),
    ]
    day1 += [
        make_record(100 + i, site="valley", title=f"Tramline note {i}", text=f"Timetable change number {i}.")
        for i in range(45)
    ]
    write_records(root, day1, run_id="r1", day="2026-02-01")
    revised_url = "https://harbour.example/news/1"
    write_records(
        root,
        [
            make_record(
                1,
                site="harbour",
                url=revised_url,
                title="Bridge opens over the harbour",
                text="The new bridge opened today after years of delay.",
                crawled_at="2026-02-02T10:00:00+00:00",
                published_at="2026-02-02T09:00:00+01:00",
            ),
            make_record(
                7,
                site="harbour",
                title=HOSTILE_TITLE,
                text=HOSTILE_TEXT,
                authors=["<i>Eve</i>"],
                section="<script>s</script>",
                canonical_url="javascript:alert(3)",
                crawled_at="2026-02-02T10:00:00+00:00",
                published_at="2026-02-02T09:00:00+01:00",
            ),
            {**make_record(8, site="harbour"), "authors": "<b>not a list</b>", "text": 12345, "title": ["odd"]},
        ],
        run_id="r2",
        day="2026-02-02",
    )
    write_records(
        root,
        [
            make_record(9, site="gazette", title="Old gazette story", text="Last words."),
            make_record(
                10, site="gazette", title="Keeper", text="filler " * 500 + "the lighthouse keeper retired" + " end" * 60
            ),
        ],
        run_id="r0",
        day="2026-01-20",
    )
    with WarcWriter(root, "news", "r3", clock=clock("2026-02-02", 14)) as warc:
        source = warc.write_response(_capture("https://harbour.example/news/20"))
        warc.write_response(_capture("https://harbour.example/news/21"))  # fetched, not archived: dropped
        warc.write_response(_capture("https://harbour.example/gone", 404, b"gone"))  # failed
    write_records(
        root,
        [
            make_record(
                20,
                site="harbour",
                title="Captured bridge page",
                text="The bridge page as captured.",
                source=dict(source),
                run_id="r3",
                crawled_at="2026-02-02T14:00:00+00:00",
            ),
            make_record(
                21,
                site="harbour",
                title="Escaping capture",
                text="A source pointing outside the root.",
                source={**source, "warc": "../../../etc/passwd"},
                run_id="r3",
            ),
        ],
        run_id="r3",
        day="2026-02-02",
    )
    return root


@pytest.fixture(scope="module")
def client(archive_root: Path) -> Iterator[TestClient]:
    with TestClient(create_app([archive_root]), raise_server_exceptions=False) as c:
        yield c


def _keys(html: str) -> list[str]:
    return re.findall(r'href="/article/([0-9]+-[0-9]+)"', html)


def _key_of(client: TestClient, url: str) -> str:
    response = client.get("/article", params={"url": url}, follow_redirects=False)
    assert response.status_code == 303
    return str(response.headers["location"]).rsplit("/", 1)[1]


def test_search_ranks_title_matches_first_and_marks_the_words_escaped(client: TestClient) -> None:
    page = client.get("/", params={"q": "bridge"})
    assert page.status_code == 200
    titles = re.findall(r'<h2><a href="/article/[^"]+">([^<]+)</a></h2>', page.text)
    assert set(titles) == {"Bridge opens over the harbour", "Captured bridge page", "Council budget"}
    assert titles[-1] == "Council budget"  # in the text only, though three times: below the title matches
    assert "<mark>bridge</mark>" in page.text
    assert 'for="q"' in page.text and 'id="q"' in page.text  # the query box has a label
    deep = client.get("/api/search", params={"q": "lighthouse"}).json()["results"][0]["snippet"]
    assert deep.startswith("…filler") and "the lighthouse keeper retired" in deep and deep.endswith("…")
    assert len(deep) < 260  # a window around the word, not the text
    assert "<mark>lighthouse</mark>" in client.get("/", params={"q": "lighthouse"}).text
    assert "<mark>東京</mark>都" in client.get("/", params={"q": "東京"}).text  # CJK: marked by its bigrams


def test_facets_count_the_whole_result_set_and_narrow_it(client: TestClient) -> None:
    data = client.get("/api/facets").json()
    sites = {f["value"]: f["count"] for f in data["facets"]["site"]}
    assert sites == {"valley": 47, "harbour": 6, "gazette": 2}  # a URL counts once, whatever its revisions
    assert {"value": "Reuters", "count": 1} in data["facets"]["person"]
    assert {"value": "de", "count": 1} in data["facets"]["language"]
    assert {d["day"] for d in data["histogram"]} >= {"2026-02-01", "2026-02-02"}
    page = client.get("/", params={"q": "bridge"})
    link = re.search(r'href="(/\?q=bridge&amp;site=harbour)"', page.text)
    assert link is not None
    narrowed = client.get("/api/search", params={"q": "bridge", "site": "harbour"}).json()
    assert narrowed["total"] == len(narrowed["results"]) > 0
    assert {r["site"] for r in narrowed["results"]} == {"harbour"}
    valley = client.get("/api/search", params={"site": "valley"}).json()["total"]
    assert valley == 47 < client.get("/api/search").json()["total"]
    assert client.get("/api/search", params={"q": "catamaran", "person": "Reuters"}).json()["total"] == 1
    assert client.get("/api/search", params={"q": "catamaran", "language": "en"}).json()["total"] == 0


def test_histogram_is_inline_svg_without_script(client: TestClient) -> None:
    page = client.get("/", params={"q": "tramline"})
    svg = re.search(r'<svg class="histogram".*?</svg>', page.text, re.S)
    assert svg is not None and "<rect" in svg.group() and "<script" not in svg.group()


def test_pagination_links_are_shareable_urls(client: TestClient) -> None:
    first = client.get("/api/search", params={"q": "tramline"}).json()
    assert first["total"] == 45 and first["pages"] == 3 and len(first["results"]) == 20
    html = client.get("/", params={"q": "tramline", "site": "valley"}).text
    nxt = re.search(r'rel="next" href="([^"]+)"', html)
    assert nxt is not None
    params = parse_qs(urlsplit(nxt.group(1).replace("&amp;", "&")).query)
    assert params == {"q": ["tramline"], "site": ["valley"], "page": ["2"]}
    second = client.get("/api/search", params={"q": "tramline", "site": "valley", "page": "2"}).json()
    third = client.get("/api/search", params={"q": "tramline", "site": "valley", "page": "3"}).json()
    ids = [r["id"] for r in first["results"] + second["results"] + third["results"]]
    assert len(ids) == len(set(ids)) == 45
    assert client.get("/", params={"q": "tramline", "page": "0"}).status_code == 400


def test_article_shows_text_metadata_provenance_and_revisions_with_a_word_diff(client: TestClient) -> None:
    key = _key_of(client, "https://harbour.example/news/1")
    page = client.get(f"/article/{key}")
    assert page.status_code == 200
    text = page.text
    assert "The new bridge opened today after years of delay." in text
    for field in ("crawled_at", "run_id", "spider", "content_hash", "word_count", "published_at"):
        assert f"<dt>{field}</dt>" in text
    assert '<a href="https://harbour.example/news/1" rel="noreferrer noopener">' in text
    revisions = re.findall(r'href="/article/[^"?]+\?diff=([0-9]+-[0-9]+)"', text)
    assert len(revisions) == 1
    diff = client.get(f"/article/{key}", params={"diff": revisions[0]}).text
    assert "opened <del>today.</del><ins>today after years of delay.</ins>" in diff


def test_word_diff_reassembles_both_versions() -> None:
    old, new = "one two three four", "one 2 three four five"
    pieces = word_diff(old, new)
    assert "".join(t for op, t in pieces if op != "ins") == old
    assert "".join(t for op, t in pieces if op != "del") == new


def test_hostile_record_is_rendered_escaped(client: TestClient) -> None:
    key = _key_of(client, "https://harbour.example/news/7")
    page = client.get(f"/article/{key}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "<img src=x" not in html and "<i>Eve</i>" not in html
    assert "&lt;script&gt;alert(&#39;title&#39;)&lt;/script&gt;" in html
    assert "مرحبا بالعالم" in html and "東京都の新しい橋" in html
    assert "\u2028" in html or "&#8232;" in html  # kept as text, not turned into markup
    assert 'href="javascript:' not in html  # a non-http canonical URL is shown, never linked
    odd = client.get(f"/article/{_key_of(client, 'https://harbour.example/news/8')}")
    assert odd.status_code == 200 and "&lt;b&gt;not a list&lt;/b&gt;" in odd.text and "<b>not" not in odd.text
    results = client.get("/", params={"q": "quay"}).text
    assert "<script" not in results and "<img src=x" not in results and "<i>Eve" not in results
    assert "&lt;script&gt;" in results
    assert "<script>" not in client.get("/", params={"q": "東京"}).text
    assert client.get("/api/search", params={"q": "東京"}).json()["total"] == 1


def test_every_page_has_the_strict_csp(client: TestClient) -> None:
    for path in ("/", "/?q=bridge", "/runs", "/nothing-here", "/api/search?q=x"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp, path
        assert response.headers["x-content-type-options"] == "nosniff"


def test_captured_page_only_in_a_sandboxed_iframe_with_a_sandbox_csp(client: TestClient) -> None:
    key = _key_of(client, "https://harbour.example/news/20")
    article = client.get(f"/article/{key}").text
    assert f'href="/article/{key}/captured"' in article
    frame = client.get(f"/article/{key}/captured").text
    assert re.search(rf'<iframe class="capture" sandbox src="/capture/{key}"', frame)
    raw = client.get(f"/capture/{key}")
    assert raw.status_code == 200 and b"Captured bridge page" in raw.content
    csp = raw.headers["content-security-policy"]
    assert csp.startswith("sandbox;") and "default-src 'none'" in csp
    outside = _key_of(client, "https://harbour.example/news/21")
    assert client.get(f"/capture/{outside}").status_code == 404  # a source outside the root is refused
    plain = _key_of(client, "https://valley.example/news/3")
    assert "View the page as captured" not in client.get(f"/article/{plain}").text
    assert client.get(f"/capture/{plain}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/article/..%2F..%2Fetc%2Fpasswd",
        "/article/0-1%2F..",
        "/article/../../etc/passwd",
        "/capture/..%2F.index%2Farchive.sqlite",
        "/static/..%2F..%2Fqueries.py",
        "/static/../queries.py",
        "/api/article?id=../../etc/passwd",
        "/article/9-1",
        "/article/0-99999999",
        "/?day=../../x",
        "/?page=-1",
    ],
)
def test_traversal_attempts_are_refused_with_the_friendly_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code in (400, 404), path
    assert "Traceback" not in response.text and "root:" not in response.text
    if not path.startswith("/api/"):
        assert "Back to the search page" in response.text


def test_api_shapes(client: TestClient) -> None:
    search = client.get("/api/search", params={"q": "bridge", "sort": "newest"}).json()
    assert set(search) == {"query", "filters", "sort", "total", "page", "pages", "per_page", "results"}
    hit = search["results"][0]
    assert set(hit) == {
        "id", "url", "title", "site", "day", "published_at", "authors", "organizations", "snippet", "score", "article"
    }  # fmt: skip
    article = client.get("/api/article", params={"id": hit["id"]}).json()
    assert set(article) == {"id", "record", "file", "offset", "revisions", "capture"}
    assert article["record"]["url"] == hit["url"]
    by_url = client.get("/api/article", params={"url": "https://harbour.example/news/1"}).json()
    assert len(by_url["revisions"]) == 2
    runs = client.get("/api/runs").json()
    assert set(runs) == {"latest_day", "runs", "per_site_per_day", "silent_sites"}
    assert client.get("/api/search", params={"q": "nosuchfield:x"}).json()["status"] == 400


def test_runs_page_counts_archived_dropped_failed_and_silent_sites(client: TestClient) -> None:
    runs = {r["name"]: r for r in client.get("/api/runs").json()["runs"]}
    assert runs["news-r1"]["archived"] == 49
    assert (runs["news-r1"]["spider"], runs["news-r1"]["run_id"]) == ("news", "r1")  # the file's, not "run1" inside
    assert runs["news-r1"]["captured"] is None  # no WARC file for that run
    assert runs["news-r3"]["archived"] == 2
    assert (
        runs["news-r3"]["captured"] == 3
        and runs["news-r3"]["dropped"] == 1
        and runs["news-r3"]["failed"] == {"HTTP 404": 1}
    )
    silent = client.get("/api/runs").json()["silent_sites"]
    assert silent == [{"site": "gazette", "last_day": "2026-01-20", "days_silent": 13}]
    page = client.get("/runs").text
    assert "<svg" in page and "gazette" in page and "HTTP 404: 1" in page


def test_atom_feed_of_a_search(client: TestClient) -> None:
    import xml.etree.ElementTree as ET

    response = client.get("/feed", params={"q": "bridge"})
    assert response.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = ET.fromstring(response.content)
    entries = feed.findall("a:entry", ns)
    assert entries and all(e.find("a:id", ns) is not None and e.find("a:updated", ns) is not None for e in entries)
    titles = [e.findtext("a:title", namespaces=ns) for e in entries]
    assert "Bridge opens over the harbour" in titles
    hostile = ET.fromstring(client.get("/feed", params={"q": "quay"}).content)
    assert hostile.findall("a:entry", ns)[0].findtext("a:title", namespaces=ns) == HOSTILE_TITLE


def test_errors_are_one_friendly_page_without_tracebacks(client: TestClient) -> None:
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "Not found" in missing.text and "Traceback" not in missing.text
    bad = client.get("/", params={"q": "nosuchfield:word"})
    assert bad.status_code == 400 and "nosuchfield" in bad.text
    empty = client.get("/", params={"q": " !!! "})
    assert empty.status_code == 400 and "nothing to search for in &#39;!!!&#39;" in empty.text
    assert client.post("/").status_code == 405


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_serving_never_writes_the_archive(archive_root: Path) -> None:
    with TestClient(create_app([archive_root]), raise_server_exceptions=False) as c:
        before = _snapshot(archive_root)
        key = _key_of(c, "https://harbour.example/news/20")
        for path in (
            "/",
            "/?q=bridge&site=harbour",
            f"/article/{key}",
            f"/capture/{key}",
            "/runs",
            "/feed?q=x",
            "/api/facets",
            "/api/runs",
            "/article/0-999999",
        ):
            c.get(path)
        after = _snapshot(archive_root)
    assert after == before
    assert ".index/archive.sqlite" in before and any(name.endswith(".warc.gz") for name in before)


def test_serve_command_prints_one_line_with_its_url_and_serves(archive_root: Path) -> None:
    with serving(archive_root) as (line, base, _):
        assert re.fullmatch(
            r"news-archive: serving 56 records of \S+ at http://127\.0\.0\.1:[0-9]+/ \(Ctrl-C stops\)\n", line
        )
        page = httpx2.get(base + "?q=bridge", timeout=30)
        assert page.status_code == 200 and "<mark>bridge</mark>" in page.text
        assert "default-src 'none'" in page.headers["content-security-policy"]
        rebound = httpx2.get(base, headers={"Host": "attacker.example"}, timeout=30)
        assert rebound.status_code == 400  # a page on another site cannot read it through DNS rebinding


def test_serve_command_refuses_a_busy_port_in_one_line(archive_root: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "archive", "serve", "--root", str(archive_root), "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == f"news-archive: error: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    missing = subprocess.run(
        [sys.executable, "-m", "archive", "serve", "--root", str(archive_root / "nope")], capture_output=True, text=True
    )
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1 and "no archive at" in missing.stderr


def test_a_server_error_is_the_friendly_page_without_a_traceback(archive_root: Path) -> None:
    app = create_app([archive_root])
    app.state.store.close()  # the database connection gone: every search now fails inside the server
    with TestClient(app, raise_server_exceptions=False) as c:
        page = c.get("/", params={"q": "bridge"})
        api = c.get("/api/search", params={"q": "bridge"})
    assert page.status_code == 500 and "Something went wrong" in page.text
    assert "Traceback" not in page.text and "sqlite" not in page.text.lower()
    assert api.status_code == 500 and api.json() == {
        "error": "Something went wrong on our side; the server log says what.",
        "status": 500,
    }


def test_several_roots_are_searched_as_one(archive_root: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    write_records(other, [make_record(1, site="island", title="Island bridge", text="A rope bridge.")], run_id="x")
    with TestClient(create_app([archive_root, other]), raise_server_exceptions=False) as c:
        found = c.get("/api/search", params={"q": "bridge"}).json()["results"]
        island = [r for r in found if r["site"] == "island"]
        assert len(island) == 1 and island[0]["id"].startswith("1-")
        assert {r["id"][:2] for r in found} == {"0-", "1-"}
        page = c.get(island[0]["article"])
        assert page.status_code == 200 and "A rope bridge." in page.text and str(other) in page.text
        assert c.get("/article/2-1").status_code == 404  # no third root


def test_records_the_index_holds_but_the_files_lost_are_counted_and_logged(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from archive import Index
    from archive.web.queries import Store

    path = write_records(tmp_path, [make_record(i) for i in range(10)])
    with Index(tmp_path) as idx:
        idx.update()
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join(lines[:6]))  # four records gone since indexing
    store = Store([tmp_path], update=False)
    assert store.records == 6
    assert "4 indexed record(s) could not be read back" in caplog.text
    store.close()


def test_search_ranks_by_relevance_whatever_the_storage_order(tmp_path: Path) -> None:
    """The same order as Index.search: title match first, more occurrences and rarer words higher."""
    root = write_ranking_archive(tmp_path / "archive")
    with TestClient(create_app([root]), raise_server_exceptions=False) as c, Index(root) as idx:
        for query, expected in ((ranking.QUERY, ranking.RANKED), (ranking.RARE_QUERY, ranking.RARE_RANKED)):
            results = c.get("/api/search", params={"q": query}).json()["results"]
            got = ranking.names([r["url"] for r in results])
            assert [n for n in got if n in expected] == expected, query
            assert got == ranking.names([h.url for h in idx.search(query, limit=len(results))])  # one ranker
            assert [r["score"] for r in results] == sorted((r["score"] for r in results), reverse=True)


def test_serving_an_index_of_another_format_as_it_is_says_so(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    root = write_ranking_archive(tmp_path / "archive")
    with Index(root) as idx:
        idx.update()
        db = idx.path
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version=4")  # format 4 ranked nothing (bm25 was 0 for every row)
    con.close()
    Store([root], update=False).close()
    assert "is format 4, not" in caplog.text and "news-archive reindex" in caplog.text
