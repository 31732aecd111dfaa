"""`make demo`: serve the bundled sample news site on 127.0.0.1, crawl it, and say what was archived.

Runs offline. The archive goes to data/demo (override with ARCHIVE_DIR=...); each run starts it afresh.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from devtools.siteserver import serve  # noqa: E402


def main() -> int:
    """Serve, crawl with the `news` spider, summarise. Exit status: the crawl's."""
    archive = Path(os.environ.get("ARCHIVE_DIR", ROOT / "data" / "demo")).resolve()
    shutil.rmtree(archive, ignore_errors=True)
    scrapy = Path(sys.executable).with_name("scrapy")
    with serve(HERE / "site") as site:
        print(f"Serving the sample site at {site.url}; crawling it with `scrapy crawl news -a site={site.url}`...")
        done = subprocess.run(
            [
                str(scrapy),
                "crawl",
                "news",
                "-a",
                f"site={site.url}",
                "-s",
                f"ARCHIVE_DIR={archive}",
                "-s",
                "DOWNLOAD_DELAY=0",
                "-s",
                "AUTOTHROTTLE_ENABLED=False",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    wanted = ("[scraper.summary]", "Dropped:", "] WARNING: Failed ")
    summary = [
        line.split("] ", 1)[-1].split(": ", 1)[-1]
        for line in done.stderr.splitlines()
        if any(w in line for w in wanted)
    ]
    print("\n".join(summary))
    for path in sorted(archive.glob("*/*.jsonl")):
        for line in path.read_text("utf-8").splitlines():
            record = json.loads(line)
            print(
                f"  - {record['title']} ({', '.join(record['authors']) or 'no byline'}; "
                f"{record['published_at']}; {record['word_count']} words)"
            )
    if done.returncode:
        print(done.stderr[-3000:], file=sys.stderr)
    else:
        print(
            f"\nThe archive is in {archive}. Try:\n  .venv/bin/news-archive --root {archive} stats\n"
            f"  .venv/bin/news-archive --root {archive} search ferry"
        )
    return done.returncode


if __name__ == "__main__":
    raise SystemExit(main())
