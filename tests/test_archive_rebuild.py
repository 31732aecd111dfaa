"""news-archive reextract: today's extraction over the stored responses, a new record only where an extracted field
changed (pointing at the same capture), old records kept, `cat --latest` one record per URL. The archives are
left by real `scrapy crawl` runs with capture on, or written with the archive's own writers."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import Archive, ArchiveWriter
from archive.warc import Capture, WarcWriter
from devtools.siteserver import serve
from scraper.archivable import archivable
from scraper.record import content_hash, extractor_stamp, word_count
from tests.support.commands import archive_cli, news_archive
from tests.support.crawl import run_crawl
from tests.support.paths import SITES
from tests.support.warcfiles import Exchange, page, write_warc

GZIPPED = "/2026/11/23/customs-house-museum/"  # served with Content-Encoding: gzip
OLD_EXTRACTOR = {"version": "0.0.1", "revision": "000000000000"}
EXTRACTED = ("title", "authors", "text", "word_count", "content_hash", "published_at", "description", "image")


@pytest.fixture(scope="module")
def crawled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The archive a `news` crawl of tests/sites/multi/a left (capture on, the default; one page gzip-encoded)."""
    folder = tmp_path_factory.mktemp("riverside") / "site"
    shutil.copytree(SITES / "multi" / "a", folder)
    html = folder / GZIPPED.strip("/") / "index.html"
    html.write_bytes(gzip.compress(html.read_bytes(), mtime=0))
    routes = json.loads((folder / "_routes.json").read_text())
    routes[GZIPPED] = {"headers": {"Content-Encoding": "gzip", "Content-Type": "text/html; charset=utf-8"}}
    (folder / "_routes.json").write_text(json.dumps(routes))
    with serve(folder) as site:
        result = run_crawl("news", ["-a", f"site={site.url}"], tmp_path_factory.mktemp("crawl") / "data")
    assert result.returncode == 0, result.stderr[-3000:]
    records = result.records()
    assert len(records) >= 4 and all(r["source"] for r in records)
    assert any(r["url"].endswith(GZIPPED) for r in records)
    yield result.archive


def copy_of(archive: Path, tmp_path: Path) -> Path:
    """A copy of an archive to change (its search index left behind: it is derived)."""
    root = tmp_path / "data"
    shutil.copytree(archive, root, ignore=shutil.ignore_patterns(".index"))
    return root


def summary_counts(summary: str) -> tuple[int, dict[str, int]]:
    """(records written, {reason: count}) from the summary line."""
    head, _, rest = summary.partition(" records written")
    counts = rest.partition("not written (")[2].partition(")")[0]
    pairs = [part.rsplit(" ", 1) for part in counts.split(", ") if part]
    return int(head.rsplit(" ", 1)[1].replace(",", "")), {k: int(v.replace(",", "")) for k, v in pairs}


def rewrite(root: Path, change: dict[str, Any], files: str = "*/news-*.jsonl") -> list[dict[str, Any]]:
    """Rewrite the JSONL files (the crawl's) as an older extractor would have written them: every record with
    OLD_EXTRACTOR, and the records of the URLs in `change` with other extracted fields (`change[url](record)`)."""
    records = []
    for path in sorted(root.glob(files)):
        records += (ours := [json.loads(line) for line in path.read_text().splitlines()])
        for rec in ours:
            rec["extractor"] = OLD_EXTRACTOR
            if rec["url"] in change:
                change[rec["url"]](rec)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in ours))
    assert records
    return records


def with_share_line(rec: dict[str, Any]) -> None:
    """The text with a share bar's line left in, as an extractor without today's boilerplate patterns gave it."""
    rec["text"] += "\n\nShare on Facebook"
    rec.update(word_count=word_count(rec["text"]), content_hash=content_hash(rec["text"]))


def with_site_suffix(rec: dict[str, Any]) -> None:
    """The title with the site's name left on, and no byline: what an older title and byline finder gave."""
    rec["title"] = f"{rec['title']} | Riverside Chronicle"
    rec["authors"] = []


def test_reextract_right_after_the_crawl_writes_nothing(crawled: Path, tmp_path: Path) -> None:
    """The extractor the command loads does what the crawl's pipelines did: same page, same record (the
    gzip-encoded response decoded, the metadata record's hints given), in worker processes (the default)."""
    root = copy_of(crawled, tmp_path)
    before = sorted(p.name for p in root.glob("*/*"))
    done = news_archive("reextract", "--root", str(root))
    assert done.returncode == 0, done.stderr
    records = len(list(Archive(root).records()))
    assert summary_counts(done.stdout) == (0, {"unchanged": records})
    assert sorted(p.name for p in root.glob("*/*")) == before


def test_reextract_after_an_extraction_change_writes_only_the_changed_records(
    crawled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = copy_of(crawled, tmp_path)
    originals = {r["url"]: r for r in Archive(root).records()}
    text_changed, title_changed = [u for u in sorted(originals) if originals[u]["authors"]][:2]
    old = {r["url"]: r for r in rewrite(root, {text_changed: with_share_line, title_changed: with_site_suffix})}

    code, out, err = archive_cli(capsys, "reextract", "--root", str(root), "--workers", "0")
    assert code == 0, err
    assert summary_counts(out) == (2, {"unchanged": len(originals) - 2})
    new = list(Archive(root).records(spider="reextract"))
    assert sorted(r["url"] for r in new) == sorted([text_changed, title_changed])
    for rec in new:
        crawl = originals[rec["url"]]
        assert {k: rec[k] for k in EXTRACTED} == {k: crawl[k] for k in EXTRACTED}  # today's extraction again
        for kept in ("crawled_at", "site", "http_status", "source"):
            assert rec[kept] == old[rec["url"]][kept]
        assert rec["extractor"] == extractor_stamp() != OLD_EXTRACTOR
        assert rec["run_id"] != crawl["run_id"]
    assert len(list(Archive(root).records())) == len(originals) + 2  # old records stay

    code, out, _ = archive_cli(capsys, "cat", "--latest", "--root", str(root))
    latest = {r["url"]: r for r in map(json.loads, out.splitlines())}
    assert len(latest) == len(out.splitlines()) == len(originals)
    assert {u for u, r in latest.items() if r["spider"] == "reextract"} == {text_changed, title_changed}

    code, out, _ = archive_cli(capsys, "reextract", "--root", str(root), "--workers", "0")
    assert code == 0 and summary_counts(out) == (0, {"unchanged": len(originals)})


def crawl_like(root: Path, url: str, body: bytes, record: dict[str, Any] | None, metadata: dict[str, Any]) -> None:
    """Store a page as the crawl does: its response in the run's WARC file, then the record pointing at it."""
    capture = Capture(url, 200, "OK", [("Content-Type", "text/html; charset=utf-8")], body)
    with WarcWriter(root, "news", "20260314T080000Z-aaaaaa") as warc:
        source = warc.write_response(capture, metadata=metadata)
    if record is not None:
        with ArchiveWriter(root, "news", "20260314T080000Z-aaaaaa") as writer:
            writer.write(
                {
                    **record,
                    "crawled_at": "2026-03-14T08:00:00+00:00",
                    "spider": "news",
                    "run_id": "20260314T080000Z-aaaaaa",
                    "http_status": 200,
                    "source": dict(source),
                    "extractor": OLD_EXTRACTOR,
                }
            )


PLAIN = (  # no article markup and no date: an article only by the date a news sitemap gave (a hint)
    "<html><head><title>Harbour board backs winter ferry plan</title></head><body><div class='content'>"
    "<h1>Harbour board backs winter ferry plan</h1>"
    + "".join(
        f"<p>The harbour board met on Tuesday evening to discuss the winter timetable for the island ferry and the "
        f"repairs to the old pier, part {i}.</p>"
        for i in range(6)
    )
    + "</div></body></html>"
).encode()


def test_pages_that_no_longer_extract_or_cannot_be_read_are_counted_and_keep_their_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "data"
    article = archivable(page("og-only.html"), "https://gazette.test/2026/06/05/night-market/", "text/html").fields
    assert article is not None
    # taken for an article by an older extractor, a collection page is none today
    listing = "https://gazette.test/section/markets/"
    crawl_like(root, listing, page("not-article.html"), {**article, "url": listing}, {})
    # an article by its sitemap's date alone: reextract gives extraction the hints the crawl stored
    plain = "https://gazette.test/notes/harbour-board"
    hints = {"hints": {"published_at": "2026-03-14T08:00:00+00:00"}, "site": "gazette", "site_patterns": []}
    fields = archivable(PLAIN, plain, "text/html; charset=utf-8", hints["hints"]).fields  # type: ignore[arg-type]
    assert fields is not None and archivable(PLAIN, plain, "text/html").dropped  # without its hints: no article
    crawl_like(root, plain, PLAIN, fields, hints)
    # archived before captures were kept: no source
    with ArchiveWriter(root, "article", "20250101T000000Z-bbbbbb") as writer:
        writer.write(
            {
                **article,
                "url": "https://gazette.test/old/",
                "crawled_at": "2025-01-01T00:00:00+00:00",
                "spider": "article",
                "run_id": "20250101T000000Z-bbbbbb",
                "http_status": 200,
            }
        )
    before = sorted(p.read_bytes() for p in root.glob("*/*.jsonl"))

    code, out, err = archive_cli(capsys, "reextract", "--root", str(root), "--workers", "0")
    assert code == 0, err
    assert summary_counts(out) == (0, {"no_longer_article": 1, "no_source": 1, "unchanged": 1})
    (warning,) = [line for line in err.splitlines() if listing in line]
    assert "not_article" in warning and "its record stays" in warning
    assert sorted(p.read_bytes() for p in root.glob("*/*.jsonl")) == before

    # a capture whose WARC file is gone: counted, named, the record stays
    for warc in root.glob("*/*.warc.gz"):
        warc.unlink()
    code, out, err = archive_cli(capsys, "reextract", "--root", str(root), "--workers", "0")
    assert code == 0 and summary_counts(out) == (0, {"source_unreadable": 2, "no_source": 1})
    assert listing in err and plain in err

    code, out, _ = archive_cli(capsys, "reextract", "--root", str(root), "--site", "elsewhere.test")
    assert code == 0 and "0 records read" in out


def test_reextract_strips_what_the_crawl_stripped_with_the_operators_extra_patterns(tmp_path: Path) -> None:
    """A crawl run with BOILERPLATE_EXTRA_PATTERNS stores them in the capture's metadata record, so reextract
    strips the same lines and finds nothing changed (it would otherwise write every such page again)."""
    extra = "The trust plans to open the ground floor next summer.*"
    with serve(SITES / "multi" / "a") as site:
        result = run_crawl(
            "news",
            ["-a", f"site={site.url}", "-s", f"BOILERPLATE_EXTRA_PATTERNS={json.dumps([extra])}"],
            tmp_path / "data",
        )
    assert result.returncode == 0, result.stderr[-3000:]
    (museum,) = [r for r in result.records() if r["url"].endswith("/customs-house-museum/")]
    assert "The trust plans" not in museum["text"] and "customs house" in museum["text"].lower()
    done = news_archive("reextract", "--root", str(result.archive))
    assert done.returncode == 0, done.stderr
    assert summary_counts(done.stdout) == (0, {"unchanged": len(result.records())})


def test_reextract_writes_into_the_folder_of_the_record_it_replaces_so_reading_by_day_gives_the_new_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Imported captures of three days, as an older extractor archived them; one of them in the folder of the day
    it was imported on (as import-warc filed records before they went to their capture's day). After reextract,
    `cat --latest` of a day, and of the whole archive, gives the new extraction; nothing is written under today."""
    captures = {
        "https://gazette.test/2019/03/04/radweg/": ("graph-jsonld.html", "2019-03-04T23:59:00Z"),
        "https://gazette.test/2019/03/05/night-market/": ("og-only.html", "2019-03-05T00:01:00Z"),
        "https://coast.test/2019/03/06/lighthouse/": ("byline-only.html", "2019-03-06T08:00:00Z"),
        "https://coast.test/2019/03/06/ferry/": ("sidebar-layout.html", "2019-03-06T09:00:00Z"),
    }
    exchanges = [Exchange(url, page(name), date=date) for url, (name, date) in captures.items()]
    root = tmp_path / "data"
    warc = write_warc(tmp_path / "march.warc.gz", exchanges)
    code, out, err = archive_cli(capsys, "import-warc", str(warc), "--root", str(root), "--workers", "0")
    assert code == 0 and summary_counts(out)[0] == len(captures), out + err
    rewrite(root, dict.fromkeys(captures, with_site_suffix), "*/warc-import-*.jsonl")
    # the ferry's record as an earlier import-warc filed it: under the day of the import
    (march6,) = root.glob("2019-03-06/warc-import-*.jsonl")
    ferry, lighthouse = sorted(march6.read_text().splitlines(), key=lambda line: "ferry" not in line)
    march6.write_text(lighthouse + "\n")
    (root / "2026-11-01").mkdir()
    (root / "2026-11-01" / march6.name).write_text(ferry + "\n")
    folders = sorted(p.name for p in root.iterdir())
    where = {r["url"]: day for day in folders for r in Archive(root).records(day, day)}

    code, out, err = archive_cli(capsys, "reextract", "--root", str(root), "--workers", "0")
    assert code == 0 and summary_counts(out) == (len(captures), {}), out + err
    assert sorted(p.name for p in root.iterdir()) == folders  # no folder for today
    for day in folders:
        new = list(Archive(root).records(day, day, spider="reextract"))
        assert sorted(r["url"] for r in new) == sorted(u for u, d in where.items() if d == day)
        code, out, _ = archive_cli(capsys, "cat", "--latest", "--since", day, "--until", day, "--root", str(root))
        latest = [json.loads(line) for line in out.splitlines()]
        assert latest and all(r["spider"] == "reextract" and r["extractor"] == extractor_stamp() for r in latest)
        assert all(not r["title"].endswith("| Riverside Chronicle") for r in latest)
    code, out, _ = archive_cli(capsys, "cat", "--latest", "--root", str(root))
    assert sorted(json.loads(line)["spider"] for line in out.splitlines()) == ["reextract"] * len(captures)
    code, out, _ = archive_cli(capsys, "reextract", "--root", str(root), "--workers", "0")
    assert summary_counts(out) == (0, {"unchanged": len(captures)})
