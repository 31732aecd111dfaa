"""A fault-injection web server on loopback: the open web's worst, on 127.0.0.x, for the hostile-input and trust
tests (tests/test_hostile_*.py, tests/test_trust_urls.py).

Each path answers with a `Route` (or a function of the path returning one; a key ending in `*` is a
prefix): a status, headers and a body, which may be generated chunk by chunk (never held whole: a 40 MB
page, a gzip bomb expanding to gigabytes), dripped a few bytes a second, or cut by a TCP reset midway.
Paths without a route are served from an optional folder of fixture files, as `devtools.siteserver` does
(`/a/` is `a/index.html`; `__BASE__` becomes the server's URL, in gzip files too). Every loop is bounded
in bytes and in time (`Route.max_seconds`), and stops when the server stops or the client hangs up.
Standard library only; binds to 127.0.0.x only.

    with serve_faults({"/slow": drip(page), "/bomb": gzip_bomb()}, root="tests/sites/hostile") as site:
        ...  # site.url, site.access_log, site.sent["/bomb"]
"""

from __future__ import annotations

import contextlib
import functools
import ipaddress
import mimetypes
import socket
import socketserver
import struct
import threading
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from devtools.siteserver import find_file, with_base

MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass
class Route:
    """What one path answers. `body` is sent whole; `stream`, when given, is called for each request and
    its chunks are sent as they come (Content-Length `length` if given, else chunked transfer coding)."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: Callable[[], Iterable[bytes]] | None = None
    length: int | None = None
    pause: float = 0.0  # seconds between chunks (slow drip)
    reset_after: int | None = None  # abort the connection with a TCP RST after this many body bytes
    max_seconds: float = 60.0  # a response never takes longer than this: the server hangs up
    then: Route | None = None  # what the second and later requests for the path get


def page(
    body: bytes | str,
    content_type: str | None = "text/html; charset=utf-8",
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Route:
    """A whole response; `content_type=None` sends no Content-Type at all."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers.setdefault("Content-Type", content_type)
    return Route(status=status, headers=all_headers, body=data)


def error(status: int, headers: dict[str, str] | None = None) -> Route:
    """An error page with `status` (`Retry-After` and the like in `headers`)."""
    return page(f"<html><body><h1>Error {status}</h1></body></html>", status=status, headers=headers)


def redirect(location: str, status: int = 302) -> Route:
    """A redirect to `location` (relative locations are the client's to resolve)."""
    return Route(status=status, headers={"Location": location, "Content-Type": "text/html"}, body=b"")


def _chunks(data: bytes, size: int) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def drip(body: bytes, bytes_per_second: float = 4.0, max_seconds: float = 60.0) -> Route:
    """`body` announced whole (Content-Length) and sent a few bytes a second, for `max_seconds` at most."""
    step = max(1, int(bytes_per_second))
    return Route(
        headers={"Content-Type": "text/html; charset=utf-8"},
        stream=lambda: _chunks(body, step),
        length=len(body),
        pause=step / bytes_per_second,
        max_seconds=max_seconds,
    )


def reset_mid_body(body: bytes, after: int) -> Route:
    """`body` announced whole, then the connection reset (RST) after `after` bytes of it."""
    return Route(headers={"Content-Type": "text/html; charset=utf-8"}, body=body, reset_after=after)


def _repeat(unit: bytes, size: int, chunk: int = MiB) -> Iterator[bytes]:
    block = (unit * (chunk // len(unit) + 1))[:chunk]
    full, rest = divmod(size, chunk)
    for _ in range(full):
        yield block
    if rest:
        yield block[:rest]


def huge_page(size: int = 40 * MiB, announce: bool = True) -> Route:
    """An HTML page of `size` bytes, generated as it is sent; `announce=False` hides its size (chunked)."""
    head = b"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Huge</title></head><body>"
    unit = b"<p>An endless page of filler paragraphs that no news article ever needs.</p>\n"

    def stream() -> Iterator[bytes]:
        yield head
        yield from _repeat(unit, size - len(head))

    return Route(headers={"Content-Type": "text/html; charset=utf-8"}, stream=stream, length=size if announce else None)


def gzip_stream(unit: bytes, size: int, chunk: int = MiB) -> tuple[int, Callable[[], Iterator[bytes]]]:
    """A valid gzip member of `unit` repeated to `size` bytes: (its compressed length, a chunk generator).

    Deflate with a full flush after each chunk makes every chunk's compressed block identical, so the
    block is computed once and the stream costs a CRC per chunk: gigabytes expand from a few megabytes.
    """
    block_in = (unit * (chunk // len(unit) + 1))[:chunk]
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = deflater.compress(block_in) + deflater.flush(zlib.Z_FULL_FLUSH)
    full, rest = divmod(size, chunk)
    tail_in = block_in[:rest]
    tail = zlib.compressobj(9, zlib.DEFLATED, -15)
    last = tail.compress(tail_in) + tail.flush(zlib.Z_FINISH)  # a fresh final block after a full flush is valid
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    length = len(header) + full * len(block) + len(last) + 8

    def stream() -> Iterator[bytes]:
        yield header
        crc = 0
        for _ in range(full):
            crc = zlib.crc32(block_in, crc)
            yield block
        crc = zlib.crc32(tail_in, crc)
        yield last + struct.pack("<II", crc, size & 0xFFFFFFFF)

    return length, stream


def gzip_bomb(size: int = 4 * GiB, content_encoding: bool = True) -> Route:
    """HTML that expands to `size` bytes (gigabytes), gzip-compressed on the fly: `Content-Encoding: gzip`,
    or with `content_encoding=False` a plain `.gz` file (a gzipped sitemap that explodes)."""
    length, stream = gzip_stream(b"<p>boom</p>", size)
    headers = (
        {"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"}
        if content_encoding
        else {"Content-Type": "application/x-gzip"}
    )
    return Route(headers=headers, stream=stream, length=length, max_seconds=30.0)


@dataclass
class FaultSite:
    """A running fault server: its base URL, its routes (change them at will), and what it saw."""

    url: str
    root: Path | None
    routes: dict[str, Route | Callable[[str], Route]]
    access_log: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    times: list[tuple[str, float]] = field(default_factory=list)  # (path, time.monotonic()) per request
    sent: dict[str, int] = field(default_factory=dict)  # body bytes sent per path, over all requests
    resets: list[str] = field(default_factory=list)  # paths whose connection was reset on purpose
    stopping: threading.Event = field(default_factory=threading.Event)

    def requests_for(self, path: str) -> int:
        """How many times `path` (query included) was requested."""
        return sum(1 for _, p, _ in self.access_log if p == path)

    def everything_received(self) -> str:
        """Every request line and header the server received, as one string (to look for leaks)."""
        return "\n".join(f"{m} {p} " + " ".join(f"{k}: {v}" for k, v in h.items()) for m, p, h in self.access_log)


class _Hangup(Exception):
    """The client went away, the server is stopping, or the response ran out of time."""


class _Handler(BaseHTTPRequestHandler):
    """Answers a GET with the path's Route (or a fixture file), notes the request and what was sent on the site."""

    protocol_version = "HTTP/1.1"

    def __init__(
        self,
        request: socket.socket | tuple[bytes, socket.socket],
        client_address: Any,
        server: socketserver.BaseServer,
        *,
        site: FaultSite,
    ) -> None:
        self.site = site
        super().__init__(request, client_address, server)  # handles the request

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _route(self) -> Route:
        path = self.path.split("?", 1)[0]
        route = self.site.routes.get(self.path) or self.site.routes.get(path)
        if route is None:  # "/prefix/*" routes, longest prefix first
            prefixes = sorted((k for k in self.site.routes if k.endswith("*") and path.startswith(k[:-1])), key=len)
            route = self.site.routes[prefixes[-1]] if prefixes else None
        if callable(route):
            route = route(self.path)
        if route is not None:
            if route.then is not None and self.site.requests_for(self.path) > 1:
                return route.then
            return route
        file = find_file(self.site.root, self.path) if self.site.root is not None else None
        if file is None:
            return error(404)
        body = with_base(file.read_bytes(), self.site.url.rstrip("/").encode())
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        if file.suffix == ".gz":
            kind = "application/x-gzip"
        return Route(headers={"Content-Type": kind}, body=body)

    def _send(self, data: bytes, deadline: float) -> None:
        if self.site.stopping.is_set() or time.monotonic() > deadline:
            raise _Hangup
        try:
            self.wfile.write(data)
        except OSError as exc:  # BrokenPipe, ConnectionReset: the client hung up
            raise _Hangup from exc
        self.site.sent[self.path] = self.site.sent.get(self.path, 0) + len(data)

    def _reset(self) -> None:
        self.site.resets.append(self.path)
        with contextlib.suppress(OSError):
            self.wfile.flush()
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()  # linger 0: the peer gets a RST, not a FIN
        self.close_connection = True

    def _body(self, route: Route, deadline: float) -> None:
        if route.stream is None:
            data = route.body.replace(b"__BASE__", self.site.url.rstrip("/").encode())
            if route.reset_after is not None:
                self._send(data[: route.reset_after], deadline)
                self._reset()
            else:
                self._send(data, deadline)
            return
        chunked = route.length is None
        sent = 0
        for chunk in route.stream():
            if route.reset_after is not None and sent + len(chunk) >= route.reset_after:
                self._send(chunk[: route.reset_after - sent], deadline)
                self._reset()
                return
            self._send(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk, deadline)
            sent += len(chunk)
            if route.pause and self.site.stopping.wait(route.pause):
                raise _Hangup
        if chunked:
            self._send(b"0\r\n\r\n", deadline)

    def do_GET(self) -> None:
        self.site.access_log.append(("GET", self.path, dict(self.headers.items())))
        self.site.times.append((self.path, time.monotonic()))
        route = self._route()
        deadline = time.monotonic() + route.max_seconds
        self.send_response(route.status)
        for name, value in route.headers.items():
            self.send_header(name, value)
        if route.stream is not None and route.length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            length = (
                route.length
                if route.stream is not None
                else len(route.body.replace(b"__BASE__", self.site.url.rstrip("/").encode()))
            )
            self.send_header("Content-Length", str(length))
        try:
            self.end_headers()
            self._body(route, deadline)
        except (_Hangup, OSError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any) -> None:
        pass  # a client that hangs up mid-response is what these tests are about


@contextmanager
def serve_faults(
    routes: dict[str, Route | Callable[[str], Route]] | None = None,
    root: str | Path | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[FaultSite]:
    """Serve `routes` (and the files under `root`) on a loopback address during the `with` block."""
    address = ipaddress.ip_address(host)
    if address.version != 4 or not address.is_loopback:
        raise ValueError(f"the fault server binds only to 127.0.0.x, not {host!r}")
    site = FaultSite("", Path(root).resolve() if root is not None else None, dict(routes or {}))
    server = _Server((host, port), functools.partial(_Handler, site=site))
    site.url = f"http://{host}:{server.server_address[1]}/"
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="faultserver", daemon=True
    )
    thread.start()
    try:
        yield site
    finally:
        site.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
