"""news-archive CLI: every subcommand, one-line errors with exit status 2, quiet broken pipes."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from archive import ArchiveWriter, load_schema
from tests.support.commands import archive_cli as cli
from tests.support.commands import python_m_archive as run
from tests.support.paths import PYTHON, subprocess_env
from tests.support.records import clock, make_record


@pytest.fixture
def root(tmp_path: Path) -> Path:
    for d, day in enumerate(["2026-02-01", "2026-02-02"]):
        with ArchiveWriter(tmp_path, "news", f"r{d}", clock=clock(day)) as w:
            for i in range(3 + d):
                site = "alpha" if i % 2 else "beta"
                w.write(
                    make_record(
                        10 * d + i,
                        site=site,
                        authors=["A One", "B Two"],
                        tags=["x", "y"],
                        text=f"Harbour story {d}-{i} line\u2028break",
                    )
                )
    return tmp_path


def test_days(root: Path, capsys: Any) -> None:
    code, out, _ = cli(capsys, "--root", str(root), "days")
    assert code == 0
    rows = out.splitlines()
    assert rows[1].split()[:3] == ["2026-02-01", "1", "3"] and rows[2].split()[:3] == ["2026-02-02", "1", "4"]
    assert rows[-1].split()[:3] == ["total", "2", "7"]


def test_cat_filters_fields_and_keeps_line_breaks_escaped(root: Path, capsys: Any) -> None:
    code, out, _ = cli(capsys, "cat", "--root", str(root))  # --root also works after the subcommand
    assert code == 0 and len(out.splitlines()) == 7
    assert "\u2028" not in out and "\\u2028" in out
    _, out, _ = cli(
        capsys,
        "--root",
        str(root),
        "cat",
        "--since",
        "2026-02-02",
        "--site",
        "alpha",
        "--fields",
        "url,site,modified_at",
    )
    assert [json.loads(x) for x in out.splitlines()] == [
        {"url": f"https://alpha.example/news/{n}", "site": "alpha", "modified_at": None} for n in (11, 13)
    ]


def test_archive_dir_environment_variable(root: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARCHIVE_DIR", str(root))
    code, out, _ = cli(capsys, "cat", "--fields", "url")
    assert code == 0 and len(out.splitlines()) == 7


def test_show_prints_every_revision(root: Path, capsys: Any) -> None:
    url = "https://beta.example/news/0"
    with ArchiveWriter(root, "news", "r9", clock=clock("2026-02-03")) as w:
        w.write(make_record(0, site="beta", text="revised", crawled_at="2026-02-03T10:00:00+00:00"))
    code, out, _ = cli(capsys, "--root", str(root), "show", url, "--jsonl")
    assert code == 0 and [json.loads(x)["text"] for x in out.splitlines()][1] == "revised"
    code, out, _ = cli(capsys, "--root", str(root), "show", url)
    assert code == 0 and out.count('\n  "url": ') == 2
    code, _, err = cli(capsys, "--root", str(root), "show", "https://nowhere.example/")
    assert code == 1 and "no record" in err


def test_search_table_and_json(root: Path, capsys: Any) -> None:
    code, out, _ = cli(capsys, "--root", str(root), "search", "story", "1-2", "--limit", "3")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["#", "date", "site", "title", "url"]
    assert lines[1].split()[0] == "1" and "https://beta.example/news/12" in lines[1]
    code, out, _ = cli(capsys, "--root", str(root), "search", "--json", "harbour")
    hits = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and len(hits) == 7 and {"url", "title", "snippet", "day", "rank"} <= set(hits[0])
    code, _, err = cli(capsys, "--root", str(root), "search", "zeppelin")
    assert code == 0 and "no matches" in err
    code, out, _ = cli(capsys, "--root", str(root), "reindex")
    assert code == 0 and "indexed 7 records" in out


def test_stats_text_and_html(root: Path, capsys: Any, tmp_path: Path) -> None:
    code, out, _ = cli(capsys, "--root", str(root), "stats")
    assert code == 0 and "7 records in 2 days from 2 sites" in out and "█" in out
    assert any(line.startswith("2026-02-02") and " 4 " in line for line in out.splitlines())
    report = tmp_path / "report.html"
    code, _, _ = cli(capsys, "--root", str(root), "stats", "--html", str(report))
    html = report.read_text()
    assert code == 0 and "<svg" in html and "<table>" in html and "alpha" in html
    for external in ("<script", "src=", "href=", "@import", "url("):
        assert external not in html


def test_verify_exit_codes(root: Path, capsys: Any) -> None:
    assert cli(capsys, "--root", str(root), "verify")[0] == 0
    with (root / "2026-02-01" / "news-r0.jsonl").open("ab") as f:
        f.write(b'{"torn')
    code, out, _ = cli(capsys, "--root", str(root), "verify")
    assert code == 1 and "torn" in out and "1 problems (1 torn)" in out
    code, out, _ = cli(capsys, "--root", str(root), "verify", "--repair")
    assert code == 0 and "moved rejected bytes to" in out and "[repaired]" in out
    assert cli(capsys, "--root", str(root), "verify")[0] == 0


def test_schema_prints_the_shipped_schema(capsys: Any) -> None:
    code, out, _ = cli(capsys, "schema")
    assert code == 0 and json.loads(out) == load_schema()


def test_export_parquet_and_csv(root: Path, capsys: Any, tmp_path: Path) -> None:
    out = tmp_path / "x.parquet"
    assert cli(capsys, "--root", str(root), "export", str(out), "--since", "2026-02-02")[0] == 0
    table = pq.read_table(out)
    assert table.num_rows == 4
    assert pa.types.is_list(table.schema.field("authors").type)
    assert table.column("authors").to_pylist()[0] == ["A One", "B Two"]
    assert table.column("image").to_pylist()[0] == {"url": "https://beta.example/img/10.jpg", "caption": None}
    assert table.column("text").to_pylist()[0] == "Harbour story 1-0 line\u2028break"
    out = tmp_path / "x.data"
    assert cli(capsys, "--root", str(root), "export", "--format", "csv", str(out), "--site", "alpha")[0] == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 3 and rows[0]["authors"] == "A One; B Two" and rows[0]["image_caption"] == ""
    assert rows[0]["image_url"].endswith(".jpg") and "image" not in rows[0]
    code, _, err = cli(capsys, "--root", str(root), "export", str(tmp_path / "x.xlsx"))
    assert code == 2 and "--format" in err


@pytest.mark.parametrize(
    "args",
    [
        ["--root", "/no/such/archive", "days"],
        ["cat", "--since", "2026-02-31"],
        ["cat", "--until", "soon"],
        ["cat", "--since", "2026-02-03", "--until", "2026-02-01"],
        ["cat", "--bogus-flag"],
        ["frobnicate"],
        [],
        ["search", "x", "--limit", "0"],
    ],
)
def test_usage_errors_are_one_line_with_status_2(root: Path, args: list[str], capsys: Any) -> None:
    if "--root" not in args:
        args = ["--root", str(root), *args]
    code, out, err = cli(capsys, *args)
    assert code == 2, err
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("news-archive: error: "), err


def test_a_missing_root_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    done = run("--root", str(tmp_path / "x"), "cat")
    where = tmp_path / "x"
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"news-archive: error: no archive at '{where}' (set --root or ARCHIVE_DIR)\n"


def test_broken_pipe_is_quiet(root: Path) -> None:
    with ArchiveWriter(root, "news", "big", clock=clock("2026-02-03")) as w:
        for i in range(400):
            w.write(make_record(1000 + i, text="padding " * 200))
    done = subprocess.run(
        f"'{PYTHON}' -m archive --root '{root}' cat | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and len(done.stdout.splitlines()) == 1
    assert done.stderr == ""


def test_cat_escapes_raw_line_separators_written_by_other_tools(tmp_path: Path, capsys: Any) -> None:
    day = tmp_path / "2026-02-01"
    day.mkdir()
    raw = json.dumps(make_record(1, text="a\u2028b\x85c"), ensure_ascii=False)  # valid JSON, raw U+2028
    (day / "other-tool.jsonl").write_text(raw + "\n", encoding="utf-8")
    code, out, _ = cli(capsys, "--root", str(tmp_path), "cat")
    assert code == 0 and len(out.splitlines()) == 1
    assert json.loads(out)["text"] == "a\u2028b\x85c"


def test_package_imports_neither_scrapy_nor_scraper() -> None:
    code = (
        "import sys, archive, archive.cli, archive.verify, archive.stats, archive.export, archive.index\n"
        "top = {m.split('.')[0] for m in sys.modules}\n"
        "print(sorted(top & {'scrapy', 'scraper', 'twisted', 'pyarrow'}))"
    )
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, env=subprocess_env(), check=True)
    assert done.stdout.strip() == "[]"
    assert run("--help").returncode == 0


# --- several roots read as one (the archives of fleet workers, each on its own disk) ---------------------------

SHARED = "https://shared.example/news/story"
WORKERS = {"a": "20260201T090000Z-0a0a0a-host-a.4101", "b": "20260201T093000Z-0b0b0b-host-b.4202"}


def _worker_archive(root: Path, worker: str, ids: dict[str, list[int]], shared: tuple[str, str, bytes]) -> None:
    """What one fleet worker leaves in its own ARCHIVE_DIR: its run's JSONL per day, and the WARC of one capture
    of SHARED (crawled at ``shared[1]`` on day ``shared[0]``, response body ``shared[2]``)."""
    from archive import WarcWriter
    from archive.warc import Capture

    run = WORKERS[worker]
    day, crawled_at, body = shared
    for d, numbers in ids.items():
        with ArchiveWriter(root, "news", run, clock=clock(d)) as w:
            for i in numbers:
                w.write(make_record(i, site=f"site{worker}", run_id=run, crawled_at=f"{d}T10:00:00+00:00"))
            if d == day:
                with WarcWriter(root, "news", run, software="test", clock=clock(day)) as warc:
                    source = warc.write_response(Capture(SHARED, 200, "OK", [("Content-Type", "text/html")], body))
                w.write(
                    make_record(
                        99,
                        url=SHARED,
                        site="shared",
                        text=f"Shared story as {worker} saw it.",
                        run_id=run,
                        crawled_at=crawled_at,
                        source=source,
                    )
                )


@pytest.fixture
def fleet(tmp_path: Path) -> tuple[Path, Path]:
    """Two roots, as two fleet workers on two machines wrote them; both archived SHARED, b later than a."""
    a, b = tmp_path / "host-a", tmp_path / "host-b"
    _worker_archive(
        a, "a", {"2026-02-01": [1, 2, 3], "2026-02-02": [4]}, ("2026-02-01", "2026-02-01T10:00:00+00:00", b"<p>A")
    )
    _worker_archive(
        b, "b", {"2026-02-01": [5], "2026-02-02": [6, 7]}, ("2026-02-02", "2026-02-02T08:00:00+00:00", b"<p>B")
    )
    return a, b


def _urls(out: str) -> list[str]:
    return [json.loads(x)["url"] for x in out.splitlines()]


def test_read_commands_read_the_union_of_roots_by_day_then_root(fleet: tuple[Path, Path], capsys: Any) -> None:
    a, b = fleet
    both = ("--root", str(a), "--root", str(b))
    code, out, _ = cli(capsys, *both, "cat", "--fields", "url")
    news = "https://site{}.example/news/{}"
    day1 = [news.format("a", i) for i in (1, 2, 3)] + [SHARED, news.format("b", 5)]
    day2 = [news.format("a", 4), news.format("b", 6), news.format("b", 7), SHARED]
    assert code == 0 and _urls(out) == day1 + day2
    # one --root before the subcommand and one after it: the same union, the order of the roots as given
    _, out, _ = cli(capsys, "--root", str(b), "cat", "--root", str(a), "--fields", "url", "--since", "2026-02-02")
    assert _urls(out) == [news.format("b", 6), news.format("b", 7), SHARED, news.format("a", 4)]
    code, out, _ = cli(capsys, *both, "days")
    rows = [r.split()[:3] for r in out.splitlines()[1:]]
    assert code == 0 and rows == [["2026-02-01", "2", "5"], ["2026-02-02", "2", "4"], ["total", "4", "9"]]
    code, out, _ = cli(capsys, *both, "stats")
    assert code == 0 and "9 records in 2 days from 3 sites" in out
    code, out, _ = cli(capsys, *both, "show", SHARED, "--jsonl")
    assert code == 0 and [json.loads(x)["run_id"] for x in out.splitlines()] == [WORKERS["a"], WORKERS["b"]]
    csv_out = a.parent / "all.csv"
    assert cli(capsys, *both, "export", str(csv_out))[0] == 0
    assert len(list(csv.DictReader(csv_out.open(encoding="utf-8", newline="")))) == 9
    code, out, _ = cli(capsys, *both, "search", "--json", "--limit", "20", "shared", "story")
    assert code == 0 and sorted(h["url"] for h in map(json.loads, out.splitlines())) == [SHARED, SHARED]
    code, out, _ = cli(capsys, *both, "verify")
    assert code == 0 and out.splitlines() == [
        f"{a}: verified 2 files, 5 valid records (0 revisions), 1 WARC files, 1 sources resolved: clean",
        f"{b}: verified 2 files, 4 valid records (0 revisions), 1 WARC files, 1 sources resolved: clean",
    ]
    with (b / "2026-02-02" / f"news-{WORKERS['b']}.jsonl").open("ab") as f:
        f.write(b'{"torn')
    code, out, _ = cli(capsys, *both, "verify")
    assert code == 1 and out.splitlines()[0].endswith(": clean") and "1 problems (1 torn)" in out.splitlines()[-1]


def test_latest_and_raw_give_one_record_per_url_over_the_union(fleet: tuple[Path, Path], capsys: Any) -> None:
    a, b = fleet
    for roots in ((a, b), (b, a)):  # the later capture wins whichever root is named first
        args = [x for r in roots for x in ("--root", str(r))]
        code, out, _ = cli(capsys, *args, "cat", "--latest", "--site", "shared")
        assert code == 0 and [json.loads(x)["text"] for x in out.splitlines()] == ["Shared story as b saw it."]
        code, out, _ = cli(capsys, *args, "cat", "--latest", "--fields", "url")
        assert code == 0 and len(_urls(out)) == 8
        done = run(*args, "raw", SHARED)
        assert done.returncode == 0 and done.stdout == "<p>B"


def test_search_over_several_roots_merges_hits_by_score(tmp_path: Path, capsys: Any) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    filler = " ".join(f"word{k}" for k in range(120))
    with ArchiveWriter(a, "news", "r1", clock=clock("2026-02-01")) as w:
        for i in range(4):  # "harbour" once in a long text: weak hits
            w.write(make_record(i, site="weak", text=f"{filler} harbour {filler}"))
    with ArchiveWriter(b, "news", "r1", clock=clock("2026-02-01")) as w:
        w.write(make_record(9, site="strong", title="Harbour harbour", text="Harbour news: the harbour reopens."))
        w.write(make_record(10, site="other", text="Nothing to see."))
    code, out, _ = cli(capsys, "--root", str(a), "--root", str(b), "search", "--json", "--limit", "3", "harbour")
    hits = [json.loads(x) for x in out.splitlines()]
    assert code == 0 and [h["rank"] for h in hits] == [1, 2, 3]
    assert hits[0]["site"] == "strong" and [h["site"] for h in hits[1:]] == ["weak", "weak"]
    assert hits[0]["score"] > hits[1]["score"] >= hits[2]["score"]


@pytest.mark.parametrize(
    "args", [["reindex"], ["reextract"], ["import-warc", "x.warc.gz"], ["verify", "--repair"]], ids=lambda a: a[0]
)
def test_a_command_that_writes_takes_one_root(fleet: tuple[Path, Path], args: list[str]) -> None:
    a, b = fleet
    before = sorted(p for r in fleet for p in r.rglob("*"))
    done = run("--root", str(a), *args, "--root", str(b))
    what = " ".join(args[:2]) if args[0] == "verify" else args[0]
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"news-archive: error: {what} writes to one archive: give one --root, not 2\n"
    assert sorted(p for r in fleet for p in r.rglob("*")) == before


@pytest.mark.parametrize("command", ["cat", "serve"])
@pytest.mark.parametrize("second", ["missing", "same"])
def test_a_bad_second_root_exits_2_with_one_line(
    fleet: tuple[Path, Path], second: str, command: str, capsys: Any
) -> None:
    a, _ = fleet
    other = a.parent / "nope" if second == "missing" else a / "2026-02-01" / ".."
    code, out, err = cli(capsys, "--root", str(a), command, "--root", str(other))  # serve: stops before listening
    assert code == 2 and out == "" and len(err.splitlines()) == 1
    assert ("no archive at" if second == "missing" else "given twice") in err
