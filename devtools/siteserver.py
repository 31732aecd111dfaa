"""A small static web server on 127.0.0.1: the tests' fixture sites (tests/sites), `make demo` (demo/run.py)
and bench/crawl.py.

Serves a folder: `/a/` is `a/index.html`, `/a` is `a` or `a.html`. A `_routes.json` in the folder
overrides paths: `{"/gone": {"status": 404}, "/doc": {"file": "x.pdf", "headers": {"Content-Type": "..."}}}`;
a route's `then` is what later requests to the same path get (`{"status": 429, "then": {}}`: 429 once, then the file).
`__BASE__` in a served file becomes the server's base URL (no trailing slash), so sitemaps and feeds can
hold absolute links. Every request is kept in `access_log` as (method, path, user agent); `peak_in_flight` is the
most requests it answered at one time (overlapping requests, from one crawler or several); `latency` (seconds)
makes every answer that slow, so that overlaps show.

    python -m devtools.siteserver FOLDER [--port 8000]
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import json
import mimetypes
import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


@dataclass
class Site:
    """A running server: its base URL (with a trailing slash) and what it was asked for."""

    url: str
    root: Path
    access_log: list[tuple[str, str, str]] = field(default_factory=list)
    times: list[tuple[str, float]] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    latency: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def requests_for(self, path: str) -> int:
        """How many times `path` (query included) was requested."""
        return sum(1 for _, p, _ in self.access_log if p == path)


def with_base(body: bytes, base: bytes) -> bytes:
    """Replace `__BASE__` with the server's URL, inside gzip files too."""
    if body[:2] == b"\x1f\x8b":
        return gzip.compress(with_base(gzip.decompress(body), base), mtime=0)
    return body.replace(b"__BASE__", base)


def find_file(root: Path, path: str) -> Path | None:
    """The file under `root` a request path names (`/a/` is `a/index.html`, `/a` is `a` or `a.html`); None when
    there is none or the path leads out of `root`."""
    clean = path.split("?", 1)[0].split("#", 1)[0]
    target = (root / clean.lstrip("/")).resolve()
    if root not in target.parents and target != root:
        return None
    for candidate in (target / "index.html", target, target.with_name(target.name + ".html")):
        if candidate.is_file():
            return candidate
    return None


class _Handler(BaseHTTPRequestHandler):
    """Answers a GET from the site's routes and folder, and notes the request on the Site."""

    protocol_version = "HTTP/1.1"

    def __init__(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: Any,
        server: socketserver.BaseServer,
        *,
        site: Site,
        routes: dict[str, dict[str, Any]],
    ) -> None:
        self.site, self.routes = site, routes
        super().__init__(request, client_address, server)  # handles the request

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _response(self) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for this request: its route's (`then` after the first time), else the file."""
        route = self.routes.get(self.path) or self.routes.get(self.path.split("?", 1)[0]) or {}
        if "then" in route and self.site.requests_for(self.path) > 1:
            route = route["then"]
        status = int(route.get("status", 200))
        headers = dict(route.get("headers", {}))
        if "body" in route:
            return status, headers, str(route["body"]).encode("utf-8")
        file = find_file(self.site.root, route.get("file", self.path))
        if file is None:
            headers.setdefault("Content-Type", "text/html")
            return (status if route else 404), headers, b"<html><body><h1>Not found</h1></body></html>"
        body = with_base(file.read_bytes(), self.site.url.rstrip("/").encode())
        sniffed = "text/html" if body.lstrip()[:1] == b"<" else "application/octet-stream"
        headers.setdefault("Content-Type", mimetypes.guess_type(file.name)[0] or sniffed)
        return status, headers, body

    def do_GET(self) -> None:
        site = self.site
        with site.lock:
            site.access_log.append(("GET", self.path, self.headers.get("User-Agent", "")))
            site.times.append((self.path, time.monotonic()))
            site.in_flight += 1
            site.peak_in_flight = max(site.peak_in_flight, site.in_flight)
        try:
            time.sleep(site.latency)
            status, headers, body = self._response()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with site.lock:
                site.in_flight -= 1


@contextmanager
def serve(root: str | Path, port: int = 0, host: str = "127.0.0.1", latency: float = 0.0) -> Iterator[Site]:
    """Serve `root` on `host` (a loopback address; a free port unless given) during the `with` block, each answer
    `latency` seconds late."""
    folder = Path(root).resolve()
    routes_file = folder / "_routes.json"
    routes = json.loads(routes_file.read_text("utf-8")) if routes_file.exists() else {}
    site = Site("", folder, latency=latency)
    server = ThreadingHTTPServer((host, port), functools.partial(_Handler, site=site, routes=routes))
    site.url = f"http://{host}:{server.server_address[1]}/"
    server.daemon_threads = True
    # shutdown() waits for the loop's next look (0.5 s by default): every test that serves a site paid it
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="siteserver", daemon=True
    )
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


def main(argv: list[str] | None = None) -> int:
    """Serve a folder until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m devtools.siteserver", description="Serve a folder on 127.0.0.1.")
    parser.add_argument("folder")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with serve(args.folder, args.port) as site:
        print(f"Serving {site.root} at {site.url} (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
