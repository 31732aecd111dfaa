"""The real `news-archive serve` in a subprocess on a free port of 127.0.0.1, for the web app's tests."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

from tests.support.paths import PYTHON, ROOT


@contextlib.contextmanager
def serving(root: Path, *options: str) -> Iterator[tuple[str, str, subprocess.Popen[str]]]:
    """Run `news-archive serve --root ROOT --port 0 OPTIONS...` until the block ends: (the line it printed when
    ready, its base URL, the process, whose stdout and stderr are pipes)."""
    proc = subprocess.Popen(
        [PYTHON, "-m", "archive", "serve", "--root", str(root), "--port", "0", *options],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if " at http://" not in line:
            proc.kill()
            raise AssertionError(f"the server did not start: {line!r} {proc.communicate(timeout=30)[1]!r}")
        yield line, line.split(" at ", 1)[1].split()[0], proc
    finally:
        proc.terminate()
        proc.wait(30)
