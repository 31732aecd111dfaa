"""The Starlette app: small typed handlers over archive.web.queries, Jinja2 templates, strict headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..stats import Stats, render_svg
from ..warc import WarcError, decoded_body
from .queries import PER_PAGE, BadRequest, Filters, Results, Store, highlight, parse_filters, string_list, word_diff
from .refresh import Refreshed, Refresher

HERE = Path(__file__).parent
log = logging.getLogger("archive.web")
#: Every page: nothing from elsewhere, no scripts at all, our one stylesheet, frames only from here.
PAGE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'self'"
)
#: A captured page: its own unique origin, no scripts, no fetches of any kind, framed by us only.
CAPTURE_CSP = "sandbox; default-src 'none'; frame-ancestors 'self'"
FEED_SIZE = 20


def _environment(roots: Sequence[Path]) -> Environment:
    """The templates of one app: autoescaped (HTML and XML alike), with the helpers they call."""
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html", "xml"], default_for_string=True, default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(link=_link, highlight=highlight, roots=[str(r) for r in roots])
    return env


class SecurityHeaders:
    """ASGI middleware: the strict page CSP and friends on every response that does not set its own CSP."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                extra = [
                    (b"content-security-policy", PAGE_CSP.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                ]
                headers += [(k, v) for k, v in extra if k not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    env: Environment = request.app.state.templates
    html = env.get_template(template).render(request=request, **context)
    return Response(html, status_code=status, media_type="text/html")


def _link(filters: Filters, **change: str | int | None) -> str:
    """The shareable URL of a search page: ``filters`` with ``change`` applied (None drops a parameter)."""
    params: dict[str, str | int | None] = {"q": filters.q or None, **filters.chosen()}
    if filters.sort != "relevance":
        params["sort"] = filters.sort
    params.update(change)
    if "page" not in change:
        params.pop("page", None)
    kept = {k: v for k, v in params.items() if v is not None and v != "" and not (k == "page" and v == 1)}
    return "/?" + urlencode(kept) if kept else "/"


def _histogram_svg(histogram: list[tuple[str, int]]) -> Markup:
    """Bars of articles per day (inline SVG: no script, no inline style), days as text only."""
    if not histogram:
        return Markup("")
    top = max(c for _, c in histogram)
    step = max(3, min(24, 720 // len(histogram)))
    width, height = step * len(histogram), 80
    bars = []
    for i, (day, count) in enumerate(histogram):
        h = max(1.0, height * count / top)
        bars.append(
            Markup('<rect x="{}" y="{:.1f}" width="{}" height="{:.1f}"><title>{}: {}</title></rect>').format(
                i * step, height - h, max(1, step - 1), h, day, count
            )
        )
    return (
        Markup(
            '<svg class="histogram" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" aria-label="{label}">'
        ).format(w=width, h=height, label=f"articles per day, {histogram[0][0]} to {histogram[-1][0]}")
        + Markup("").join(bars)
        + Markup("</svg>")
    )


def create_app(
    roots: Sequence[str | Path],
    *,
    store: Store | None = None,
    allowed_hosts: Sequence[str] | None = None,
    refresh: float = 0.0,
    report: Callable[[Refreshed], None] | None = None,
) -> Starlette:
    """The web app over the archive(s) at ``roots`` (indexes updated, then opened read-only).

    ``allowed_hosts``: the Host header values served (others get a 400), so that a web page cannot reach a
    loopback server through DNS rebinding; None serves any. ``refresh``: while the app runs (its lifespan),
    look for newly archived records every so many seconds (0: never) and tell ``report`` what changed.
    """
    db = store if store is not None else Store(roots)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        refresher = Refresher(db, refresh, report) if refresh > 0 else None
        if refresher is not None:
            refresher.start()
        try:
            yield
        finally:
            if refresher is not None:
                await asyncio.to_thread(refresher.stop)

    def search_page(request: Request) -> Response:
        filters = parse_filters(request.query_params)
        results = db.search(filters)
        return _page(request, "search.html", results=results, f=filters, histogram=_histogram_svg(results.histogram))

    def api_search(request: Request) -> Response:
        filters = parse_filters(request.query_params)
        return JSONResponse(_results_json(db.search(filters, facets=False)))

    def api_facets(request: Request) -> Response:
        results = db.search(parse_filters(request.query_params), per_page=0)
        return JSONResponse(
            {
                "total": results.total,
                "facets": {k: [{"value": v, "count": c} for v, c in rows] for k, rows in results.facets.items()},
                "histogram": [{"day": d, "count": c} for d, c in results.histogram],
            }
        )

    def article_page(request: Request) -> Response:
        article = db.article(request.path_params["key"])
        if article is None:
            raise HTTPException(404, "There is no such article in this archive.")
        other = request.query_params.get("diff")
        diff = None
        if other:
            older = db.article(other)
            if older is None:
                raise HTTPException(404, "There is no such revision to compare with.")
            diff = (older, word_diff(str(older.record.get("text") or ""), str(article.record.get("text") or "")))
        rec = article.record
        return _page(
            request,
            "article.html",
            a=article,
            r=rec,
            diff=diff,
            credits=string_list(rec.get("authors")) + string_list(rec.get("organizations")),
            paragraphs=rec["text"].split("\n\n") if isinstance(rec.get("text"), str) else [],
        )

    def article_by_url(request: Request) -> Response:
        url = request.query_params.get("url", "")
        key = db.find_url(url) if url and len(url) <= 4000 else None
        if key is None:
            raise HTTPException(404, "There is no article with that URL in this archive.")
        return RedirectResponse(f"/article/{key}", status_code=303)

    def api_article(request: Request) -> Response:
        key = request.query_params.get("id") or db.find_url(request.query_params.get("url", "")[:4000]) or ""
        if not key:
            raise HTTPException(404, "There is no such article in this archive.")
        article = db.article(key)
        if article is None:
            raise HTTPException(404, "There is no such article in this archive.")
        return JSONResponse(
            {
                "id": article.key,
                "record": article.record,
                "file": article.file,
                "offset": article.offset,
                "revisions": [r.__dict__ for r in article.revisions],
                "capture": f"/capture/{article.key}" if article.has_capture else None,
            }
        )

    def capture(request: Request) -> Response:
        found = db.capture(request.path_params["key"])
        if found is None:
            raise HTTPException(404, "No stored page for this article.")
        try:
            body = decoded_body(found)
        except WarcError:
            raise HTTPException(404, "The stored page cannot be decoded.") from None
        kind = (found.header("Content-Type") or "").split(";")[0].strip().lower()
        charset = _charset(found.header("Content-Type") or "")
        media = "text/html" if kind in ("text/html", "application/xhtml+xml", "") else "text/plain"
        return Response(
            body,
            media_type=media + (f"; charset={charset}" if charset else ""),
            headers={"Content-Security-Policy": CAPTURE_CSP, "X-Frame-Options": "SAMEORIGIN"},
        )

    def captured_page(request: Request) -> Response:
        article = db.article(request.path_params["key"])
        if article is None or not article.has_capture:
            raise HTTPException(404, "No stored page for this article.")
        return _page(request, "captured.html", a=article, r=article.record)

    def runs_page(request: Request) -> Response:
        health = db.runs(silent_days=_int(request, "silent", 2, 1, 365))
        chart = Markup(render_svg(Stats(health.per_day))) if health.per_day else Markup("")  # escapes site names
        return _page(request, "runs.html", h=health, chart=chart, f_empty=Filters())

    def api_runs(request: Request) -> Response:
        health = db.runs(silent_days=_int(request, "silent", 2, 1, 365))
        return JSONResponse(
            {
                "latest_day": health.latest_day,
                "runs": [r.__dict__ for r in health.runs],
                "per_site_per_day": {d: dict(c) for d, c in health.per_day.items()},
                "silent_sites": [{"site": s, "last_day": d, "days_silent": n} for s, d, n in health.silent],
            }
        )

    def feed(request: Request) -> Response:
        filters = parse_filters(request.query_params)
        results = db.search(
            Filters(**{**filters.__dict__, "sort": "newest", "page": 1}), facets=False, per_page=FEED_SIZE
        )
        xml = app.state.templates.get_template("feed.xml").render(
            request=request, results=results, f=filters, updated=datetime.now(UTC).isoformat(timespec="seconds")
        )
        return Response(xml, media_type="application/atom+xml; charset=utf-8")

    async def on_error(request: Request, exc: Exception) -> Response:
        if isinstance(exc, BadRequest):
            status, message = 400, str(exc)
        elif isinstance(exc, HTTPException):
            status, message = exc.status_code, exc.detail if exc.status_code != 404 or exc.detail != "Not Found" else ""
        else:
            log.error("error serving %s", request.url.path, exc_info=exc)
            status, message = 500, ""
        message = message or {404: "There is nothing at this address.", 405: "That method is not allowed here."}.get(
            status, "Something went wrong on our side; the server log says what."
        )
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message, "status": status}, status_code=status)
        return _page(request, "error.html", status=status, status_code=status, message=message)

    routes = [
        Route("/", search_page),
        Route("/article", article_by_url),
        Route("/article/{key}", article_page),
        Route("/article/{key}/captured", captured_page),
        Route("/capture/{key}", capture),
        Route("/runs", runs_page),
        Route("/feed", feed),
        Route("/api/search", api_search),
        Route("/api/facets", api_facets),
        Route("/api/article", api_article),
        Route("/api/runs", api_runs),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={BadRequest: on_error, HTTPException: on_error, Exception: on_error},
    )
    app.add_middleware(SecurityHeaders)
    if allowed_hosts is not None:
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))
    app.state.store = db
    app.state.templates = _environment(db.roots)
    return app


def _results_json(results: Results) -> dict[str, Any]:
    f = results.filters
    return {
        "query": f.q,
        "filters": f.chosen(),
        "sort": f.sort,
        "total": results.total,
        "page": f.page,
        "pages": results.pages,
        "per_page": PER_PAGE,
        "results": [
            {
                "id": h.key,
                "url": h.url,
                "title": h.title,
                "site": h.site,
                "day": h.day,
                "published_at": h.published_at,
                "authors": h.authors,
                "organizations": h.organizations,
                "snippet": h.snippet,
                "score": h.score,
                "article": f"/article/{h.key}",
            }
            for h in results.hits
        ],
    }


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    text = request.query_params.get(name)
    if text is None:
        return default
    if not text.isdigit() or not lo <= int(text) <= hi:
        raise BadRequest(f"{name} must be a whole number from {lo} to {hi}")
    return int(text)


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        value = value.strip().strip('"')
        if name.lower() == "charset" and value.replace("-", "").replace("_", "").isalnum() and len(value) < 40:
            return value
    return None
