"""Article pages for the fault server (devtools.faultserver): plain news articles, and the two good ones every
hostile crawl must archive whatever goes wrong around them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from devtools.faultserver import Route, page
from tests.support.crawl import Served


def article_html(
    title: str,
    paragraphs: list[str],
    *,
    lang: str = "en",
    charset: str | None = "utf-8",
    published: str = "2026-05-04T09:00:00+00:00",
    head: str = "",
    body: str = "",
    doctype: str = "<!DOCTYPE html>",
) -> str:
    """A plain news article page: og:type article, a publication date, a headline and paragraphs."""
    meta = f'<meta charset="{charset}">' if charset else ""
    text = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""{doctype}
<html lang="{lang}"><head>{meta}<title>{title}</title>
<meta property="og:type" content="article">
<meta property="article:published_time" content="{published}">
{head}</head><body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a></nav></header>
<article><h1>{title}</h1>
{text}
</article>{body}
<footer><p>The Hostile Herald, 1 Quay Street</p></footer></body></html>"""


def english(topic: str, n: int = 6) -> list[str]:
    """`n` distinct English paragraphs about `topic` (60+ words in all)."""
    return [
        f"Paragraph {i} about {topic}: the harbour council met on Tuesday evening and agreed that the "
        f"sea wall along Quay Street would be repaired before the winter storms, at a cost of {i + 2} "
        f"hundred thousand pounds shared between the county and the port trust."
        for i in range(n)
    ]


GOOD = {
    "/2026/05/01/harbour-wall-repair-agreed/": "harbour wall repair",
    "/2026/05/02/ferry-timetable-extended/": "the ferry timetable",
}


def good_routes() -> dict[str, Route | Callable[[str], Route]]:
    """Two ordinary articles that every crawl must archive, whatever else goes wrong around them."""
    return {path: page(article_html(topic.capitalize(), english(topic))) for path, topic in GOOD.items()}


def urls_file(tmp_path: Path, site: Served, paths: list[str]) -> Path:
    """A urls_file for the `article` spider: `paths` of `site`, one URL a line."""
    file = tmp_path / "urls.txt"
    file.write_text("".join(site.url.rstrip("/") + path + "\n" for path in paths))
    return file
