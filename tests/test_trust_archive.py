"""Issue 9, "the archive refuses to heal": damaged lines, index and gz files; CJK search; search/cat usage."""

from __future__ import annotations

import csv
import gzip
import json
import logging
import re
import sqlite3
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from archive import Archive, Index
from archive.export import export
from archive.files import iter_part
from archive.stats import collect
from archive.verify import verify
from devtools.sitegen import generate
from devtools.siteserver import Site, serve
from tests.support.commands import archive_cli as cli
from tests.support.commands import python_m_archive as run
from tests.support.crawl import run_crawl
from tests.support.records import make_record
from tests.support.records import write_records as write

DAY = "2026-02-01"
HALF_EMOJI = "Half an emoji \ud83d and the ferry sails on"


def append_surrogate_line(path: Path, i: int = 99) -> str:
    """Append a line as ``json.dumps`` writes it for a string holding half an emoji; return its url."""
    rec = make_record(i, text=f"Lonely surrogate paragraph of story {i}.")
    rec["title"], rec["text"] = HALF_EMOJI, f"{HALF_EMOJI}.\n\n{rec['text']}"
    with open(path, "a", encoding="ascii") as f:
        f.write(json.dumps(rec) + "\n")  # ensure_ascii: the lone surrogate becomes the escape \ud83d
    return str(rec["url"])


def archive_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "archive" and r.levelno >= logging.WARNING]


# -- 1. a lone surrogate escape in an archived line -----------------------------------------------------


@pytest.fixture
def surrogate_root(tmp_path: Path) -> tuple[Path, Path, str]:
    path = write(tmp_path, [make_record(i) for i in range(3)])
    url = append_surrogate_line(path)
    write(tmp_path, [make_record(3)], run_id="r2")
    return tmp_path, path, url


def test_readers_repair_a_lone_surrogate_line_with_one_warning(
    surrogate_root: tuple[Path, Path, str], caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    root, path, url = surrogate_root
    caplog.set_level(logging.WARNING, "archive")
    records = list(Archive(root).records())
    assert len(records) == 5
    repaired = next(r for r in records if r["url"] == url)
    assert repaired["title"] == HALF_EMOJI.replace("\ud83d", "\ufffd")
    [warning] = archive_warnings(caplog)
    assert f"{path}:4" in warning and "surrogate" in warning
    for rec in records:  # every string encodes: nothing downstream meets a lone surrogate
        json.dumps(rec, ensure_ascii=False).encode("utf-8")
    [got] = Archive(root).get(url)
    assert got["title"] == repaired["title"]
    assert collect(Archive(root)).total == 5
    assert export(Archive(root).records(), tmp_path / "out.csv", "csv") == 5
    with open(tmp_path / "out.csv", encoding="utf-8") as f:
        assert sum(1 for _ in csv.reader(f)) == 6


def test_search_reindex_and_cat_survive_a_lone_surrogate_line(
    surrogate_root: tuple[Path, Path, str], capsys: Any
) -> None:
    root, _, url = surrogate_root
    code, out, err = cli(capsys, "--root", str(root), "search", "lonely", "surrogate")
    assert code == 0 and url in out, err
    assert "Traceback" not in err
    code, out, err = cli(capsys, "--root", str(root), "reindex")
    assert code == 0 and "indexed 5 records" in out, err
    code, out, err = cli(capsys, "--root", str(root), "cat")
    assert code == 0 and len(out.splitlines()) == 5
    assert "\\ud83d" not in out and "\ufffd" in out
    assert len([x for x in err.splitlines() if "surrogate" in x]) == 1


def test_verify_flags_a_lone_surrogate_and_repair_quarantines_it(
    surrogate_root: tuple[Path, Path, str], capsys: Any
) -> None:
    root, path, url = surrogate_root
    original = path.read_bytes().splitlines(keepends=True)[3]
    code, out, _ = cli(capsys, "--root", str(root), "verify")
    assert code == 1
    assert re.search(r"news-r1\.jsonl:4: corrupt: .*lone surrogate", out), out
    code, out, _ = cli(capsys, "--root", str(root), "verify", "--repair")
    assert code == 0 and "[repaired]" in out, out
    [rejected] = (root / ".quarantine").rglob("*.rejected")
    assert rejected.read_bytes() == original  # never deleted: the original bytes are kept
    assert b"\\ud83d" not in path.read_bytes()
    assert url in {r["url"] for r in Archive(root).records()}  # the article stays, repaired
    assert cli(capsys, "--root", str(root), "verify")[0] == 0


@pytest.fixture(scope="module")
def small_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A generated site of 12 articles."""
    folder = tmp_path_factory.mktemp("small-site")
    generate(folder, 12)
    with serve(folder) as site:
        yield site


def test_a_crawl_into_an_archive_with_a_lone_surrogate_line_archives_normally(small_site: Site, tmp_path: Path) -> None:
    root = tmp_path / "data"
    append_surrogate_line(write(root, [make_record(1)], run_id="old"))
    result = run_crawl("news", ["-a", f"site={small_site.url}"], root)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    urls = [r["url"] for r in Archive(root).records() if r["url"].startswith(small_site.url)]
    assert len(urls) == 12 == len(set(urls))
    assert result.stderr.count("surrogate") == 1  # the index update read the old line once, and said so


# -- 2. a damaged .index --------------------------------------------------------------------------------


def _garbage(db: Path) -> None:
    db.write_bytes(b"\x00garbage, not SQLite\xff" * 500)


def _truncated(db: Path) -> None:
    data = db.read_bytes()
    db.write_bytes(data[: len(data) // 3])


def _wrong_schema(db: Path) -> None:
    con = sqlite3.connect(db)
    version = con.execute("PRAGMA user_version").fetchone()[0]
    con.executescript("DROP TABLE docs; CREATE TABLE docs(id INTEGER PRIMARY KEY, url TEXT);")
    con.execute(f"PRAGMA user_version={version}")
    con.close()


DAMAGES = {"garbage": _garbage, "truncated": _truncated, "wrong-schema": _wrong_schema}


def _damage_index(root: Path, how: str) -> None:
    with Index(root) as idx:
        idx.update()
        db = idx.path
    for extra in db.parent.glob("archive.sqlite-*"):
        extra.unlink()
    DAMAGES[how](db)


@pytest.mark.parametrize("how", DAMAGES)
def test_reindex_and_search_rebuild_a_damaged_index_with_one_warning(how: str, tmp_path: Path) -> None:
    write(tmp_path, [make_record(i) for i in range(400)])
    _damage_index(tmp_path, how)
    done = run("--root", str(tmp_path), "reindex")
    assert done.returncode == 0, done.stderr
    assert "indexed 400 records" in done.stdout
    [warning] = done.stderr.splitlines()
    assert "index" in warning and "rebuil" in warning, warning
    _damage_index(tmp_path, how)
    done = run("--root", str(tmp_path), "search", "harbour")
    assert done.returncode == 0 and "https://example.example/news/" in done.stdout, done.stderr
    assert len(done.stderr.splitlines()) == 1 and "rebuil" in done.stderr


def test_a_crawl_rebuilds_a_garbage_index_and_archives_nothing_twice(small_site: Site, tmp_path: Path) -> None:
    root = tmp_path / "data"
    first = run_crawl("news", ["-a", f"site={small_site.url}"], root)
    assert first.returncode == 0, first.stderr[-3000:]
    assert len(first.records()) == 12
    _damage_index(root, "garbage")
    second = run_crawl("news", ["-a", f"site={small_site.url}"], root)
    assert second.returncode == 0, second.stderr[-3000:]
    assert len(second.records()) == 12  # nothing archived twice
    assert len(re.findall(r"WARNING: .*index.*rebuil", second.stderr)) == 1, second.stderr[-3000:]


# -- 3. a truncated .jsonl.gz ---------------------------------------------------------------------------


def _whole_lines_before(data: bytes) -> int:
    """Oracle: complete lines that gzip can still decompress from a cut file, member by member."""
    out = bytearray()
    while data:
        d = zlib.decompressobj(31)
        try:
            out += d.decompress(data)
        except zlib.error:
            break
        if not d.eof:
            break
        data = d.unused_data
    return out.count(b"\n")


@pytest.fixture(scope="module")
def gz_bytes() -> bytes:
    """Two gzip members (as compress() appends them), about 3 MB of lines in all."""
    members = []
    for m in range(2):
        lines = b"".join(json.dumps(make_record(m * 1500 + i)).encode() + b"\n" for i in range(1500))
        members.append(gzip.compress(lines, mtime=0))
    return b"".join(members)


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.49, 0.5, 0.51, 0.75, 0.97, 0.9999])
def test_every_whole_line_before_gz_damage_is_read_and_the_damage_reported_once(
    fraction: float, gz_bytes: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: Any
) -> None:
    cut = int(len(gz_bytes) * fraction)
    (tmp_path / DAY).mkdir()
    gz = tmp_path / DAY / "news-cut.jsonl.gz"
    gz.write_bytes(gz_bytes[:cut])
    expected = _whole_lines_before(gz_bytes[:cut])
    assert expected > 0
    caplog.set_level(logging.WARNING, "archive")
    assert len(list(Archive(tmp_path).records())) == expected
    [warning] = archive_warnings(caplog)
    assert str(gz) in warning and f"byte {cut}" in warning, warning
    assert Archive(tmp_path).days()[0].records == expected
    assert collect(Archive(tmp_path)).total == expected
    assert export(Archive(tmp_path).records(), tmp_path / "out.csv", "csv") == expected
    with Index(tmp_path) as idx:
        assert idx.reindex().records == expected
    report = verify(tmp_path)
    assert report.records == expected
    assert [p.kind for p in report.problems] == ["damaged"]
    code, out, _ = cli(capsys, "--root", str(tmp_path), "cat")
    assert code == 0 and len(out.splitlines()) == expected


def test_an_intact_multi_member_gz_reads_whole(
    gz_bytes: bytes, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / DAY).mkdir()
    (tmp_path / DAY / "news-whole.jsonl.gz").write_bytes(gz_bytes)
    caplog.set_level(logging.WARNING, "archive")
    assert len(list(Archive(tmp_path).records())) == 3000
    assert archive_warnings(caplog) == []
    assert verify(tmp_path).clean


# -- 4. CJK search --------------------------------------------------------------------------------------

CJK = {
    "beijing": ("北京で五輪開幕", "北京オリンピックが開幕した。Olympics open in Beijing with a ceremony."),
    "governor": ("知事が記者会見", "東京都の知事は月曜日に記者会見を開いた。"),
    "kyoto": ("京都の秋", "京都では紅葉が見頃を迎えた。"),
    "chinese": ("新闻", "国务院总理今天在人民大会堂会见了外国代表团。"),
    "english": ("Beijing ferry news", "The olympics ferry leaves Beijing harbour at noon."),
}


@pytest.fixture
def cjk_root(tmp_path: Path) -> Path:
    write(
        tmp_path,
        [make_record(i, url=f"https://x.example/{k}", title=t, text=x) for i, (k, (t, x)) in enumerate(CJK.items())],
    )
    return tmp_path


def _found(root: Path, query: str) -> set[str]:
    return {h.url.rsplit("/", 1)[1] for h in Archive(root).search(query, 20)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("北京", {"beijing"}),
        ("知事", {"governor"}),
        ("記者会見", {"governor"}),
        ("京", {"beijing", "governor", "kyoto"}),
        ("紅葉", {"kyoto"}),
        ("京都の秋", {"kyoto"}),
        ("title:京都", {"kyoto"}),
        ("东京", set()),
        ("人民大会堂", {"chinese"}),
        ("北京 olympics", {"beijing"}),
        ("オリンピック", {"beijing"}),
        ("olympics", {"beijing", "english"}),
        ("beijing ferry", {"english"}),
    ],
)
def test_cjk_words_are_found(cjk_root: Path, query: str, expected: set[str]) -> None:
    assert _found(cjk_root, query) == expected


def test_an_index_of_an_older_version_is_rebuilt_for_cjk(cjk_root: Path) -> None:
    with Index(cjk_root) as idx:
        idx.update()
        db = idx.path
    con = sqlite3.connect(db)
    con.execute("PRAGMA user_version=2")  # what the index before CJK segmentation was
    con.close()
    assert _found(cjk_root, "知事") == {"governor"}


# -- 5. search and cat usage ----------------------------------------------------------------------------


@pytest.fixture
def ferry_root(tmp_path: Path) -> Path:
    write(
        tmp_path,
        [
            make_record(1, title="Ferry strike ends", text="Crossings resume on Monday after talks."),
            make_record(2, title="Harbour works", text="The ferry terminal will close for repairs."),
            make_record(3, title="Budget vote", text="Councillors approved the budget."),
        ],
    )
    return tmp_path


def test_a_column_filter_searches_that_column(ferry_root: Path, capsys: Any) -> None:
    assert _found(ferry_root, "title:ferry") == {"1"}
    assert _found(ferry_root, "text:ferry") == {"2"}
    assert _found(ferry_root, "ferry") == {"1", "2"}
    assert _found(ferry_root, "title:ferry strike") == {"1"}
    code, out, _ = cli(capsys, "--root", str(ferry_root), "search", "title:ferry")
    assert code == 0 and "Ferry strike ends" in out and "Harbour works" not in out


@pytest.mark.parametrize("query", ["", "   ", "!!!", "authors:smith", "nosuch:ferry"])
def test_an_unusable_search_query_is_a_usage_error(ferry_root: Path, capsys: Any, query: str) -> None:
    code, out, err = cli(capsys, "--root", str(ferry_root), "search", query)
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert line.startswith("news-archive: error: ") and "Traceback" not in err
    if ":" in query:
        assert "title" in line and "text" in line  # names the columns that work


@pytest.mark.parametrize(
    "query",
    [
        '"ferry',
        "ferry AND OR",
        "NEAR(ferry",
        "ferry*",
        "^ferry",
        "a:b:c",
        "(ferry)",
        "-ferry",
        "title:",
        "{title text}:ferry",
        "ferry OR budget",
    ],
)
def test_fts_syntax_in_a_query_never_raises(ferry_root: Path, capsys: Any, query: str) -> None:
    code, out, err = cli(capsys, "--root", str(ferry_root), "search", query)
    assert code in (0, 2) and "Traceback" not in err
    assert len(err.splitlines()) <= 1
    if code == 2:
        assert out == "" and err.startswith("news-archive: error: ")


def test_cat_with_an_unknown_field_is_a_usage_error(ferry_root: Path, capsys: Any) -> None:
    code, out, err = cli(capsys, "--root", str(ferry_root), "cat", "--fields", "url,nosuchfield")
    assert code == 2 and out == ""
    [line] = err.splitlines()
    assert "nosuchfield" in line and "title" in line and "content_hash" in line
    code, out, _ = cli(capsys, "--root", str(ferry_root), "cat", "--fields", "url,title")
    assert code == 0 and len(out.splitlines()) == 3


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=0, max_value=10**9), members=st.integers(min_value=1, max_value=3))
def test_any_cut_of_a_gz_keeps_every_whole_line_before_it(cut: int, members: int, tmp_path: Path) -> None:
    parts = [
        gzip.compress(
            b"".join(json.dumps({"n": m * 100 + i, "pad": "x" * i}).encode() + b"\n" for i in range(100)), mtime=0
        )
        for m in range(members)
    ]
    data = b"".join(parts)
    cut %= len(data) + 1
    gz = tmp_path / DAY / f"news-cut{cut}-{members}.jsonl.gz"
    gz.parent.mkdir(exist_ok=True)
    gz.write_bytes(data[:cut])
    chunks = list(iter_part(gz))
    got = [json.loads(line)["n"] for chunk in chunks for line in chunk.lines]
    assert got == list(range(_whole_lines_before(data[:cut])))
    at_boundary = cut in {sum(map(len, parts[:k])) for k in range(members + 1)}
    assert len([c for c in chunks if c.error]) == (0 if at_boundary else 1)
    assert [c.torn for c in chunks if c.torn] == []  # a partial line before damage is part of the damage


def test_cjk_titles_keep_the_search_table_aligned(cjk_root: Path, capsys: Any) -> None:
    code, out, _ = cli(capsys, "--root", str(cjk_root), "search", "京")
    assert code == 0
    header, *rows = [line for line in out.splitlines() if not line.startswith("     ")]
    column = sum(2 if "\u3000" <= ch <= "\u9fff" else 1 for ch in header[: header.index("url")])
    for row in rows:
        start = row.index("https://")
        assert sum(2 if "\u3000" <= ch <= "\u9fff" else 1 for ch in row[:start]) == column, row
