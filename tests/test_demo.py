"""`make demo` (demo/run.py): serves the sample site, crawls it and prints what the README shows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_demo_crawls_the_sample_site_and_prints_its_summary_and_articles(tmp_path: Path) -> None:
    archive = tmp_path / "demo"
    done = subprocess.run(
        [sys.executable, str(ROOT / "demo" / "run.py")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "ARCHIVE_DIR": str(archive)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    site_lines = [line for line in lines if line.startswith("site 127.0.0.1")]
    assert len(site_lines) == 1 and " 3 articles archived" in site_lines[0], done.stdout
    assert any(line.startswith("Run ") and " finished" in line for line in lines), done.stdout
    articles = [line for line in lines if line.startswith("  - ")]
    assert len(articles) == 3, done.stdout
    assert sorted(archive.glob("*/*.jsonl")), "the demo's archive has no run file"
