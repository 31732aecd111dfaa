"""A synthetic news site of any size: articles, paginated sections, a sitemap and robots.txt.

Used by bench/crawl.py (crawl throughput) and by the tests that need many articles (the archive crawl, worker
pool and crash tests); served with devtools.siteserver, which fills in `__BASE__`.
"""

from __future__ import annotations

import random
from pathlib import Path

WORDS = """harbour council ferry school river village storm market museum station road bridge festival budget
report residents volunteers engineers teachers farmers weekend winter summer evening morning plan project trust
campaign meeting decision service timetable repair library coast valley town county island fishing boats crews
visitors shops families children workers costs funding grant survey results figures record season weather rain
wind flood path trail garden hall church""".split()  # noqa: SIM905


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(12, 24))]
    return " ".join(words).capitalize() + "."


def _article(n: int, rng: random.Random) -> str:
    title = " ".join(rng.choice(WORDS) for _ in range(7)).capitalize() + f" {n}"
    paragraphs = "\n".join(
        f"<p>{' '.join(_sentence(rng) for _ in range(rng.randint(2, 4)))}</p>" for _ in range(rng.randint(5, 12))
    )
    day = 1 + n % 28
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title} | Generated Gazette</title>
<meta property="og:type" content="article"><meta property="og:site_name" content="Generated Gazette">
<script type="application/ld+json">{{"@context":"https://schema.org","@type":"NewsArticle","headline":"{title}",
"datePublished":"2026-10-{day:02d}T10:00:00+00:00","author":{{"@type":"Person","name":"Reporter {n % 17}"}}}}</script>
</head><body><header class="site-header"><a href="/">Generated Gazette</a><nav class="menu">
{"".join(f'<a href="/section/{s}/">{s.title()}</a> ' for s in ("local", "sport", "business"))}</nav></header>
<main><article><h1>{title}</h1><p class="byline">By Reporter {n % 17}</p>{paragraphs}</article>
<div class="share">Share on Facebook</div><div id="comments"><h3>Leave a Comment</h3></div></main>
<footer>© 2026 Generated Gazette</footer></body></html>"""


def generate(root: Path, pages: int, seed: int = 7) -> list[str]:
    """Write the site; return the article paths."""
    rng = random.Random(seed)
    paths = [
        f"/2026/10/{1 + n % 28:02d}/story-{n}-{rng.choice(WORDS)}-{rng.choice(WORDS)}-update/" for n in range(pages)
    ]
    for n, path in enumerate(paths):
        target = root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(_article(n, rng), encoding="utf-8")
    per_page = 50
    chunks = [paths[i : i + per_page] for i in range(0, len(paths), per_page)]
    for i, chunk in enumerate(chunks):
        links = "".join(f'<h2><a href="{p}">Story</a></h2>' for p in chunk)
        more = f'<a href="/section/local/page/{i + 2}/">Older</a>' if i + 1 < len(chunks) else ""
        folder = root / "section/local" if i == 0 else root / f"section/local/page/{i + 1}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "index.html").write_text(f"<html><body>{links}{more}</body></html>", encoding="utf-8")
    (root / "index.html").write_text('<html><body><a href="/section/local/">Local</a></body></html>')
    urls = "".join(f"<url><loc>__BASE__{p}</loc></url>" for p in paths)
    (root / "sitemap.xml").write_text(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>',
        encoding="utf-8",
    )
    (root / "robots.txt").write_text("User-agent: *\nSitemap: __BASE__/sitemap.xml\n")
    return paths
