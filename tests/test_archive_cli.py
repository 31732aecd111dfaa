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
