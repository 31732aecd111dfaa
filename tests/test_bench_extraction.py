"""bench/extraction.py: the publisher split, the structured-data anchor, and a whole run on a small corpus of each
kind (fundus-, readability- and dragnet-style) written for the test, scored by the shared scorers."""

from __future__ import annotations

import gzip
import importlib.metadata
import json
import subprocess
import sys
from pathlib import Path

import pytest

from bench.extraction import dragnet_publisher, half_of
from bench.structured import structured_metadata

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"  # the shared scorers, outside the repository (as the corpus)


# --- the split ----------------------------------------------------------------------------------------


def test_publisher_halves_are_pinned_so_figures_stay_comparable_across_revisions() -> None:
    """The halves are the SHA-1 parity of the publisher's name: moving them would make old figures meaningless."""
    assert [half_of(p) for p in ("TheGuardian", "Le Monde", "NRK")] == ["tune"] * 3
    assert [half_of(p) for p in ("BBC", "Harbour Gazette", "Valley Courier")] == ["check"] * 3
    assert dragnet_publisher("http://www.bbc.co.uk/news/world-1") == "bbc.co.uk"
    assert dragnet_publisher("http://blog.example.com/2012/05/post/") == "example.com"
    assert dragnet_publisher("http://localhost:8000/post") == "localhost"


# --- the structured-data anchor -----------------------------------------------------------------------

JSON_LD_PAGE = """<!doctype html><html lang="de"><head>
<meta property="og:title" content="Kicker title from og">
<meta name="description" content="What the meta description says.">
<meta property="og:site_name" content="Harbour Gazette">
<meta property="article:published_time" content="2020-01-01T00:00:00Z">
<script type="application/ld+json">//<![CDATA[
{"@context": "https://schema.org", "@graph": [
  {"@type": "WebPage", "name": "Page name"},
  {"@type": ["NewsArticle"], "headline": "Ferry &quot;Isla&quot; returns",
   "author": [{"@type": "Person", "name": "Sam Hartley"}, {"@type": "Person", "name": "Ana Ruiz"}],
   "datePublished": "2026-11-26T09:00:00+01:00",
   "image": {"@type": "ImageObject", "url": "https://news.example/ferry.jpg"}}
]}
//]]></script>
</head><body><h1>Visible headline</h1><p>Text.</p></body></html>"""

META_PAGE = """<html><head>
<script type="application/ld+json">{"@type": "BreadcrumbList", "name": "Home"}</script>
<script type="application/ld+json">{not json</script>
<meta property="og:title" content="Council votes on bridge">
<meta property="article:author" content="https://facebook.com/someone">
<meta property="article:author" content="Jo Bloggs">
<meta name="twitter:image" content="https://news.example/bridge.jpg">
<meta http-equiv="content-language" content="en-GB">
</head><body><time itemprop="datePublished" datetime="2019-08-06T10:00:00+02:00">6 Aug</time></body></html>"""


def test_structured_anchor_takes_the_json_ld_article_first_then_meta_for_what_it_lacks() -> None:
    assert structured_metadata(JSON_LD_PAGE, "https://news.example/a") == {
        "title": 'Ferry "Isla" returns',  # not og:title, not the <h1>; entities written into JSON-LD decoded
        "authors": ["Sam Hartley", "Ana Ruiz"],
        "published": "2026-11-26T09:00:00+01:00",  # the article's, not article:published_time
        "description": "What the meta description says.",  # the article has none: the meta tag's
        "site_name": "Harbour Gazette",
        "language": "de",  # <html lang>, last
        "image": "https://news.example/ferry.jpg",
    }


def test_structured_anchor_without_an_article_object_reads_meta_and_microdata_only() -> None:
    assert structured_metadata(META_PAGE, "https://news.example/b") == {
        "title": "Council votes on bridge",
        "authors": ["Jo Bloggs"],  # a profile URL is not a name
        "published": "2019-08-06T10:00:00+02:00",  # microdata
        "description": None,
        "site_name": None,
        "language": "en-GB",
        "image": "https://news.example/bridge.jpg",
    }


@pytest.mark.parametrize("html", ["", "<<<>>>", b"\xff\xfe\x00", "<html><body>no head</body></html>"])
def test_structured_anchor_states_nothing_on_pages_without_structured_data(html: str | bytes) -> None:
    found = structured_metadata(html, "")
    assert not any(found.values())


# --- a whole run ----------------------------------------------------------------------------------------


def article(title: str, author: str, day: str, paragraphs: list[str]) -> str:
    """A small article page with the usual structured data."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    ld = json.dumps({"@type": "NewsArticle", "headline": title, "author": {"name": author}, "datePublished": day})
    return (
        f'<html lang="en"><head><title>{title} | Site</title><script type="application/ld+json">{ld}</script>'
        f'</head><body><nav><a href="/">Home</a></nav><article><h1>{title}</h1><p class="byline">By {author}</p>'
        f"{body}</article><footer>Copyright</footer></body></html>"
    )


PARAGRAPHS = [
    "The harbour board voted on Tuesday to rebuild the north pier, which storms damaged twice last winter.",
    "Work starts in March and should take eighteen months, the board's chair told a packed public meeting.",
    "Fishing crews will use the south quay meanwhile, where extra moorings are being laid this month.",
]


def write_corpora(root: Path) -> None:
    """One small corpus of each kind, with publishers on both halves (see the pinned halves above)."""
    fundus = root / "fundus"
    fundus.mkdir(parents=True)
    manifest = []
    for n, publisher in enumerate(("TheGuardian", "Le Monde", "BBC")):
        page_id = f"uk/{publisher.replace(' ', '')}_2026_11_2{n}"
        title, day = f"Pier {n} rebuilt after storms", f"2026-11-2{n}T09:00:00+00:00"
        (fundus / page_id).parent.mkdir(exist_ok=True)
        (fundus / f"{page_id}.html").write_text(article(title, "Sam Hartley", day, PARAGRAPHS), "utf-8")
        truth = {"title": title, "authors": ["Sam Hartley"], "publishing_date": day, "body": {"summary": PARAGRAPHS}}
        (fundus / f"{page_id}.expected.json").write_text(json.dumps(truth), "utf-8")
        manifest.append({"id": page_id, "url": f"https://news{n}.example/pier", "publisher": publisher})
    (fundus / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    for case in ("harbour", "library"):
        folder = root / "readability" / case
        folder.mkdir(parents=True)
        (folder / "source.html").write_text(article(f"The {case}", "Ana Ruiz", "2026-11-20", PARAGRAPHS), "utf-8")
        (folder / "expected.html").write_text("".join(f"<p>{p}</p>" for p in PARAGRAPHS), "utf-8")
        meta = {"title": f"The {case}", "byline": "Ana Ruiz", "lang": "en"}
        (folder / "expected-metadata.json").write_text(json.dumps(meta), "utf-8")
    (root / "dragnet" / "html").mkdir(parents=True)
    truth = {}
    for n, host in enumerate(("www.bbc.co.uk", "blog.example.com", "news.example.org")):
        html = article(f"Post {n}", "Jo Bloggs", "2012-05-01", PARAGRAPHS)
        (root / "dragnet" / "html" / f"p{n}.html.gz").write_bytes(gzip.compress(html.encode("utf-8")))
        truth[f"p{n}"] = {"url": f"http://{host}/2012/05/post-{n}/", "articleBody": "\n".join(PARAGRAPHS)}
    (root / "dragnet" / "ground-truth.json").write_text(json.dumps(truth), "utf-8")


def bench(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "bench" / "extraction.py"), *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


@pytest.mark.skipif(not (EVAL / "score_metadata.py").exists(), reason="the shared scorers (../shared/eval) are absent")
def test_every_corpus_kind_is_reported_by_half_beside_both_anchors_and_trafilatura_is_cached(tmp_path: Path) -> None:
    write_corpora(tmp_path / "corpus")
    argv = ["--corpus-root", str(tmp_path / "corpus"), "--eval", str(EVAL), "--cache", str(tmp_path / "cache")]
    first = bench(*argv, "--bootstrap", "0")
    assert first.returncode == 0, first.stderr
    out = first.stdout
    for title in ("### fundus: score", "### readability: score", "### dragnet: body shingle", "### summary"):
        assert title in out
    fundus = out.split("### fundus")[1].split("###")[0]
    header = fundus.splitlines()[2]
    for name in ("tune", "tune trafilatura", "tune structured", "check structured", "all trafilatura"):
        assert f" {name} |" in header
    pages = next(line for line in fundus.splitlines() if line.startswith("| pages "))
    assert [c.strip() for c in pages.split("|")[2:-1] if c.strip()] == ["2", "1", "3"]  # tune, check, all
    title_row = next(line for line in fundus.splitlines() if line.startswith("| title fuzzy "))
    assert title_row.count("(") == 9  # ours and both anchors, on each half and all
    body_row = next(line for line in fundus.splitlines() if line.startswith("| body tokF1 "))
    assert body_row.count("(") == 6  # ours and trafilatura; structured data has no body: blank
    dragnet = out.split("### dragnet")[1].split("###")[0]
    assert "check trafilatura" in dragnet and "structured" not in dragnet
    assert "median ms" in dragnet and "p95 ms" in dragnet and "| max ms " in dragnet
    assert out.count("our slowest page: ") == 3
    assert out.rstrip().splitlines()[-1].startswith("8 pages in 3 of 3 corpora scored in ")
    version = importlib.metadata.version("trafilatura")
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [
        f"trafilatura-{version}-fast0-v1-fundus.json",
        f"trafilatura-{version}-fast0-v1-readability.json",
        f"trafilatura-{version}-fast1-v1-dragnet.json",
    ]

    again = bench(*argv, "--bootstrap", "0")
    assert again.returncode == 0, again.stderr
    assert again.stdout.count("trafilatura: 3 of 3 pages from the cache") == 2  # fundus and dragnet
    assert again.stdout.count("trafilatura: 2 of 2 pages from the cache") == 1  # readability
    assert figures(again.stdout) == figures(first.stdout)


def figures(output: str) -> list[str]:
    """The output's lines without those that change from run to run (times, the cache note)."""
    timed = (
        "| median ",
        "| p95 ",
        "| max ",
        "our slowest page: ",
        *(f"| {c}: {s}" for c in ("fundus", "readability", "dragnet") for s in ("median", "p95")),
    )
    return [
        line
        for line in output.splitlines()
        if line and not line.startswith(timed) and "from the cache" not in line and "scored in" not in line
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--corpora", "fundus,nope"], "unknown corpus nope"),
        (["--corpus-root", "/nonexistent/corpora"], "no corpus folder"),
        (["--corpus", "/nonexistent/fundus"], "no folder /nonexistent/fundus"),
        (["--timeout", "0"], "must be positive"),
        (["--rev", "no-such-revision"], "unknown git revision no-such-revision"),
    ],
)
def test_a_bad_argument_exits_2_with_one_line(argv: list[str], message: str) -> None:
    done = bench(*argv)
    assert done.returncode == 2
    assert message in done.stderr.splitlines()[-1]
