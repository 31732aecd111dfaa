"""Full-text index: ranking, AND semantics, hostile queries, incremental updates, rewrites, reindex."""

from __future__ import annotations

import gzip
import sqlite3
from pathlib import Path

import pytest

from archive import Archive, Index, SearchHit
from archive.files import compress
from archive.index import TOKENIZE
from archive.verify import verify
from tests.support import ranking
from tests.support.ranking import write_ranking_archive
from tests.support.records import make_record
from tests.support.records import write_records as write

FILLER = "the weather was mild and the council met on tuesday to discuss the budget"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    recs = [make_record(i, text=f"{FILLER} item {i}") for i in range(20)]
    recs += [
        make_record(100, title="Lighthouse keeper retires", text=f"{FILLER}. A story about the coast."),
        make_record(101, title="Coastal walk", text=f"{FILLER}. The old lighthouse was repainted."),
        make_record(102, title="Ferry news", text=f"{FILLER}. Ferry timetable and lighthouse tours."),
        make_record(103, title="Zürich café reopens", text=f"{FILLER}. Naïve art at the café."),
    ]
    write(tmp_path, recs)
    return tmp_path


def urls(hits: list[SearchHit]) -> list[str]:
    return [h.url.rsplit("/", 1)[1] for h in hits]


def test_search_ranks_title_matches_first(root: Path) -> None:
    hits = Archive(root).search("lighthouse")
    assert urls(hits)[0] == "100"
    assert sorted(urls(hits)) == ["100", "101", "102"]
    assert [h.rank for h in hits] == [1, 2, 3]
    top = hits[0]
    assert top.title == "Lighthouse keeper retires" and top.site == "example" and top.day == "2026-02-01"
    assert top.published_at == "2026-02-01T09:00:00+01:00"
    assert "lighthouse" in hits[1].snippet.lower()


def test_all_words_must_match(root: Path) -> None:
    a = Archive(root)
    assert urls(a.search("lighthouse ferry")) == ["102"]
    assert a.search("lighthouse submarine") == []
    assert urls(a.search("ZURICH cafe naive")) == ["103"]  # case and diacritics folded
    assert urls(a.search("lighthouse", limit=1)) == ["100"]


FINDS = ["lighthouse*", "-lighthouse", "^lighthouse", "lighthouse\x00", '"lighthouse', "(lighthouse)"]


NOISE = [
    '"',
    "'",
    "*",
    "AND",
    "OR NOT",
    "NEAR(a b)",
    "(",
    ")",
    "title:lighthouse",
    "{x}",
    "[x]",
    "\\",
    "%",
    "",
    "   ",
    "a AND (b OR",
    "💡",
    "x" * 5000,
]


@pytest.mark.parametrize("query", NOISE + FINDS)
def test_fts_syntax_in_user_input_never_raises(root: Path, query: str) -> None:
    hits = Archive(root).search(query)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))  # a ranked list of distinct records
    assert len(set(urls(hits))) == len(hits)
    if query in FINDS:  # syntax characters are just separators: the word is still found
        assert "100" in urls(hits)


def test_update_reads_only_new_bytes(root: Path) -> None:
    with Index(root) as idx:
        first = idx.update()
        assert first.records == 24 and idx.count() == 24
        assert idx.update().bytes_read == 0
        path = root / "2026-02-01" / "news-r1.jsonl"
        size = path.stat().st_size
        write(root, [make_record(200, text="new lighthouse story"), make_record(201)])
        added = path.stat().st_size - size
        second = idx.update()
        assert (second.records, second.bytes_read, second.files) == (2, added, 1)
        assert idx.count() == 26
        assert "200" in urls(idx.search("lighthouse story"))


def test_a_torn_tail_waits_until_it_is_a_whole_line(root: Path) -> None:
    path = root / "2026-02-01" / "news-r1.jsonl"
    with Index(root) as idx:
        idx.update()
        with path.open("ab") as f:
            f.write(b'{"schema_version":1,"url":"https://cut')
        st = idx.update()
        assert (st.records, st.bytes_read) == (0, 0)
        write(root, [make_record(300, text="after the tear")])  # the writer closes the torn line first
        st = idx.update()
        assert (st.records, st.skipped) == (1, 1)
        assert idx.count() == 25


def test_compressing_a_file_does_not_duplicate_it(root: Path) -> None:
    path = root / "2026-02-01" / "news-r1.jsonl"
    with Index(root) as idx:
        idx.update()
        compress(path)
        st = idx.update()
        assert (st.records, st.reread_files) == (0, 0)
        assert idx.count() == 24
        hits = idx.search("lighthouse")
        assert urls(hits)[0] == "100" and hits[0].snippet  # snippet falls back to the stored lead
        write(root, [make_record(400, text="lighthouse after compression")])  # new plain part after the gz
        assert idx.update().records == 1
        assert idx.count() == 25 and "400" in urls(idx.search("compression"))


def test_a_rewritten_file_is_read_again(root: Path) -> None:
    path = root / "2026-02-01" / "news-r1.jsonl"
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([lines[0], b"{corrupt\n", *lines[1:]]))
    with Index(root) as idx:
        assert idx.update().skipped == 1
        assert verify(root, repair=True).clean  # rewrites the file without the corrupt line
        st = idx.update()
        assert st.reread_files == 1
        assert idx.count() == 24
        hits = idx.search("lighthouse ferry")
        assert urls(hits) == ["102"] and "Ferry timetable" in hits[0].snippet


def test_deleted_files_leave_the_results(root: Path) -> None:
    write(root, [make_record(500, text="lonely lighthouse")], run_id="r2", day="2026-02-02")
    with Index(root) as idx:
        idx.update()
        assert "500" in urls(idx.search("lonely"))
        (root / "2026-02-02" / "news-r2.jsonl").unlink()
        assert idx.update().removed_files == 1
        assert idx.search("lonely") == [] and idx.count() == 24


def test_reindex_rebuilds_from_the_files(root: Path) -> None:
    with Index(root) as idx:
        idx.update()
        st = idx.reindex()
        assert st.records == 24 and idx.count() == 24
        assert urls(idx.search("lighthouse"))[0] == "100"


def test_gz_only_archive_is_indexed(tmp_path: Path) -> None:
    path = write(tmp_path, [make_record(i, text=f"gz record {i}") for i in range(3)])
    with gzip.open(path.with_name(path.name + ".gz"), "wb") as z:
        z.write(path.read_bytes())
    path.unlink()
    assert sorted(urls(Archive(tmp_path).search("record"))) == ["0", "1", "2"]


def test_has_url_and_has_content_hash(root: Path, tmp_path: Path) -> None:
    write(root, [make_record(600, canonical_url="https://example.example/canonical/600")], run_id="r3")
    with Index(tmp_path / "no-index-yet") as empty:
        assert not empty.has_url("https://example.example/news/1")
    with Index(root) as idx:
        idx.update()
        assert idx.has_url("https://example.example/news/1")
        assert idx.has_url("https://example.example/canonical/600")
        assert not idx.has_url("https://example.example/news/9999")
        assert idx.has_content_hash(make_record(600)["content_hash"])
        assert not idx.has_content_hash("0" * 64)


def test_update_of_a_missing_root_creates_nothing(tmp_path: Path) -> None:
    with Index(tmp_path / "missing") as idx, pytest.raises(FileNotFoundError, match="no archive"):
        idx.update()
    assert not (tmp_path / "missing").exists()


def test_ranking_is_by_relevance_whatever_the_storage_order(tmp_path: Path) -> None:
    """A title match beats the text, more occurrences beat fewer, a rarer word beats a common one."""
    root = write_ranking_archive(tmp_path)
    with Index(root) as idx:
        idx.update()
        for query, expected in ((ranking.QUERY, ranking.RANKED), (ranking.RARE_QUERY, ranking.RARE_RANKED)):
            hits = idx.search(query, limit=50)
            got = [n for n in ranking.names([h.url for h in hits]) if n in expected]
            assert got == expected, query
            assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
            assert hits[0].score > hits[-1].score > 0
        assert ranking.names([h.url for h in idx.search(ranking.QUERY, limit=1)]) == ["ranked-title"]


def test_an_index_of_format_4_is_rebuilt_and_then_ranks(tmp_path: Path) -> None:
    """Format 4's table (detail=column) gives bm25 0 for every row: such an index is rebuilt on update."""
    root = write_ranking_archive(tmp_path)
    with Index(root) as idx:
        idx.update()
        db = idx.path
    con = sqlite3.connect(db)
    con.executescript(
        "DROP TABLE fts; CREATE VIRTUAL TABLE fts USING fts5(title, text, content='', detail=column, "
        f"tokenize='{TOKENIZE}'); PRAGMA user_version=4;"
    )
    con.close()
    with Index(root) as idx:
        assert idx.update().records == len(ranking.ranking_records())
        hits = idx.search(ranking.QUERY)
        assert ranking.names([h.url for h in hits])[0] == "ranked-title" and hits[0].score > 0
