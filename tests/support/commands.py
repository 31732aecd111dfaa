"""The `news-archive` command line, as tests run it: in-process, through `python -m archive`, or installed."""

from __future__ import annotations

import subprocess

import pytest

from archive.cli import main
from tests.support.paths import NEWS_ARCHIVE, PYTHON, subprocess_env


def archive_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Run news-archive in-process; (exit status, stdout, stderr)."""
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def python_m_archive(*args: str) -> subprocess.CompletedProcess[str]:
    """``python -m archive ARGS`` in a real subprocess."""
    return subprocess.run(
        [PYTHON, "-m", "archive", *args], capture_output=True, text=True, env=subprocess_env(), timeout=120, check=False
    )


def news_archive(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed ``news-archive ARGS`` command in a real subprocess."""
    return subprocess.run([NEWS_ARCHIVE, *args], capture_output=True, text=True, check=False, timeout=120)
