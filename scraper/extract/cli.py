"""`python -m scraper.extract` and `news-extract`: saved pages in, one JSON record per line out.

python -m scraper.extract [--url URL] FILE.html [FILE.html ...]
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from scraper.extract import analyse_page
from scraper.extract.encoding import decode_html, parse_html
from scraper.urls import usable_url


def _canonical_of(data: bytes) -> str | None:
    tree = parse_html(decode_html(data)[0])
    if tree is None:
        return None
    for link in tree.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (url := usable_url(link.get("href", ""))):
            return url
    og = tree.xpath("//meta[@property='og:url']/@content")
    return usable_url(str(og[0])) if og else None


def main(argv: list[str] | None = None) -> int:
    """CLI: extract saved pages offline and print one JSON record per file."""
    parser = argparse.ArgumentParser(prog="python -m scraper.extract", description=(__doc__ or "").splitlines()[0])
    parser.add_argument("files", nargs="+", metavar="FILE.html", help="saved pages; '-' reads stdin")
    parser.add_argument("--url", help="the page's URL (default: its canonical link)")
    args = parser.parse_args(argv)
    if args.url is not None and not usable_url(args.url):
        print(f"{parser.prog}: error: --url {args.url!r} is not an http(s) URL with a host", file=sys.stderr)
        return 2
    status = 0
    for name in args.files:
        try:
            data = sys.stdin.buffer.read() if name == "-" else open(name, "rb").read()  # noqa: SIM115
        except OSError as exc:
            print(f"{parser.prog}: error: cannot read {name}: {exc.strerror}", file=sys.stderr)
            status = 2
            continue
        url = args.url or _canonical_of(data)
        if not url:
            print(f"{parser.prog}: error: {name}: no canonical link in the page; pass --url", file=sys.stderr)
            status = 2
            continue
        result = analyse_page(data, url)
        if result.not_article:
            print(f"{name}: not an article: {result.not_article}", file=sys.stderr)
        try:
            print(json.dumps(result.record, ensure_ascii=False), flush=True)
        except BrokenPipeError:  # the reader went away (`news-extract *.html | head`): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return status
    return status
