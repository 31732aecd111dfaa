"""news-archive serve in a real browser: headless chromium driven over the DevTools protocol (on a pipe).

The server is the real command (`python -m archive serve --port 0`) in a subprocess. Chromium runs with
``--remote-debugging-pipe``: DevTools messages are NUL-terminated JSON on file descriptors 3 and 4, so no
websocket library or driver is needed. REGENERATE_SCREENSHOT=1 also writes docs/img/search.png.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from archive import WarcWriter
from archive.warc import Capture
from tests.support.records import clock, make_record, write_records
from tests.support.serve import serving

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
TIMEOUT = 30.0
CAPTURED = (
    b"<html><head><title>As sent</title></head><body><h1>Pier page as sent</h1>"
    b"<script>document.body.innerHTML = 'SCRIPT RAN'; parent.document.title = 'SCRIPT RAN'</script>"
    b"<img src='/api/runs'></body></html>"
)

if CHROMIUM is None:
    if os.environ.get("CI"):
        pytest.fail("chromium is missing in CI: the browser test must run there (apt-get install chromium)")
    pytest.skip(
        "chromium not installed: browser test skipped (make test installs it when run as root)", allow_module_level=True
    )

STORIES = [
    (
        "harbour",
        "Harbour bridge opens after ten years of work",
        "The new bridge over the harbour opened to traffic on Monday, ten years after the first plans.",
    ),
    (
        "harbour",
        "Council approves the ferry budget",
        "The council approved the ferry budget; the bridge tolls will pay for part of it.",
    ),
    (
        "valley",
        "Valley railway reopens its northern line",
        "Trains run again on the northern line after the storm damaged a bridge in October.",
    ),
    (
        "valley",
        "Museum opens a winter festival",
        "The museum festival runs for three weeks with music, food and a lantern walk.",
    ),
    (
        "coast",
        "Storm warning for the coast",
        "Forecasters expect gusts near the old bridge and the harbour walls tonight.",
    ),
    ("coast", "Library extends its opening hours", "The library now opens on Sundays, the council said."),
]


class DevTools:
    """A headless chromium and its DevTools protocol over ``--remote-debugging-pipe``."""

    def __init__(self, chromium: str, profile: Path) -> None:
        cmd_read, self._cmd = os.pipe()
        self._res, res_write = os.pipe()

        def pipes() -> None:  # chromium reads commands on fd 3 and writes answers on fd 4
            os.dup2(cmd_read, 3)
            os.dup2(res_write, 4)

        args = [chromium, "--headless", "--remote-debugging-pipe", f"--user-data-dir={profile}", "--no-first-run"]
        args += ["--disable-gpu", "--window-size=1280,900", "--hide-scrollbars", "--mute-audio"]
        # offline, as every test: no background traffic (updates, sync, metrics), and no host name resolves
        args += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
        args += ["--no-default-browser-check", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        if os.geteuid() == 0:
            args.append("--no-sandbox")  # chromium refuses to run as root with its sandbox
        self.proc = subprocess.Popen(
            args, preexec_fn=pipes, close_fds=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        os.close(cmd_read)
        os.close(res_write)
        self._buffer = b""
        self._id = 0
        self.events: list[dict[str, Any]] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.call("Page.enable", session=True)

    def call(self, method: str, session: bool = False, **params: Any) -> dict[str, Any]:
        """Send one command and wait for its answer (events seen meanwhile are kept)."""
        self._id += 1
        message: dict[str, Any] = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        os.write(self._cmd, json.dumps(message).encode() + b"\0")
        while True:
            reply = self._next()
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                result: dict[str, Any] = reply["result"]
                return result
            self.events.append(reply)

    def _next(self) -> dict[str, Any]:
        deadline = time.monotonic() + TIMEOUT
        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._res], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError("chromium did not answer")
            data = os.read(self._res, 1 << 16)
            if not data:
                raise EOFError("chromium closed its DevTools pipe")
            self._buffer += data
        raw, self._buffer = self._buffer.split(b"\0", 1)
        message: dict[str, Any] = json.loads(raw)
        return message

    def wait_load(self) -> None:
        """Wait for the page's load event."""
        while True:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events):
                self.events.clear()
                return
            self.events.append(self._next())

    def goto(self, url: str) -> None:
        """Load ``url`` and wait until it has loaded."""
        self.events.clear()
        self.call("Page.navigate", session=True, url=url)
        self.wait_load()

    def js(self, expression: str) -> Any:
        """The value of a JavaScript expression in the page."""
        return self.call("Runtime.evaluate", session=True, expression=expression, returnByValue=True)["result"].get(
            "value"
        )

    def key(self, key: str, code: int, text: str = "") -> None:
        """Press and release one key, as a user would."""
        common = {"key": key, "code": key, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
        self.call("Input.dispatchKeyEvent", session=True, type="keyDown", text=text, **common)
        self.call("Input.dispatchKeyEvent", session=True, type="keyUp", **common)

    def screenshot(self, path: Path) -> None:
        """Save what the window shows as a PNG."""
        data = self.call("Page.captureScreenshot", session=True, format="png")["data"]
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        """Stop chromium."""
        with_timeout = subprocess.TimeoutExpired
        try:
            self.call("Browser.close")
            self.proc.wait(10)
        except (OSError, RuntimeError, TimeoutError, EOFError, with_timeout):
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd)
        os.close(self._res)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`news-archive serve` on a free port over a small archive of three sites; yields its URL."""
    root = tmp_path_factory.mktemp("browser") / "archive"
    root.mkdir()
    for day, first in (("2026-02-01", 0), ("2026-02-02", 2), ("2026-02-03", 4)):
        records = [
            make_record(
                first + i,
                site=site,
                title=title,
                text=text,
                authors=["Ada Lovelace"] if i % 2 else ["Bo Chen"],
                published_at=f"{day}T0{8 + i}:30:00+01:00",
                crawled_at=f"{day}T10:00:00+00:00",
            )
            for i, (site, title, text) in enumerate(STORIES[first : first + 2])
        ]
        write_records(root, records, run_id=f"run{first}", day=day)
    with WarcWriter(root, "news", "run9", clock=clock("2026-02-03", 14)) as warc:
        source = warc.write_response(
            Capture(
                url="https://coast.example/news/9",
                status=200,
                reason="OK",
                headers=[("Content-Type", "text/html; charset=utf-8")],
                body=CAPTURED,
                request_headers=[("User-Agent", "test")],
            )
        )
    captured = make_record(9, site="coast", title="Pier reopens", text="The pier reopened.", source=dict(source))
    hostile = make_record(
        10,
        site="coast",
        title="<script>document.title='pwned'</script><b>Quay</b>",
        text="x" * 5000 + "\n\nمرحبا \u202eevil\u202c 東京都 line\u2028break <img src=x onerror=alert(1)>",
    )
    write_records(root, [captured, hostile], run_id="run9", day="2026-02-03")
    with serving(root) as (line, url, _):
        assert line.startswith("news-archive: serving 8 records of "), line
        assert url.startswith("http://127.0.0.1:")
        yield url


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevTools]:
    assert CHROMIUM is not None
    chrome = DevTools(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield chrome
    finally:
        chrome.close()


def test_search_with_the_keyboard_then_open_an_article(server: str, browser: DevTools, tmp_path: Path) -> None:
    browser.goto(server)
    assert browser.js("document.querySelector('label[for=q]').textContent") == "Search the archive"
    focused = []
    for _ in range(6):  # Tab from the top of the page: the skip link first, then on to the query box
        browser.key("Tab", 9)
        focused.append(browser.js("document.activeElement.id || document.activeElement.textContent.trim()"))
        if focused[-1] == "q":
            break
    assert focused[0] == "Skip to content" and focused[-1] == "q", focused
    browser.call("Input.insertText", session=True, text="bridge")
    browser.events.clear()
    browser.key("Enter", 13, "\r")
    browser.wait_load()
    assert browser.js("location.search") == "?q=bridge"
    visible = browser.js("document.body.innerText")
    assert "4 results for “bridge”" in visible
    assert visible.index("Harbour bridge opens after ten years of work") < visible.index("Council approves")
    assert browser.js("document.querySelectorAll('mark').length") >= 4
    assert "harbour\n" in browser.js("document.querySelector('.facets').innerText")
    shot = tmp_path / "search.png"
    browser.screenshot(shot)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    if os.environ.get("REGENERATE_SCREENSHOT") == "1":
        target = REPO / "docs" / "img" / "search.png"
        target.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, target)

    browser.js("document.querySelector('.hit h2 a').focus()")  # the first result, opened with Enter
    browser.events.clear()
    browser.key("Enter", 13, "\r")
    browser.wait_load()
    assert browser.js("location.pathname").startswith("/article/")
    article = browser.js("document.body.innerText")
    assert "Harbour bridge opens after ten years of work" in article
    assert "The new bridge over the harbour opened to traffic on Monday" in article
    assert "Provenance" in article and "Fetched at" in article
    browser.screenshot(tmp_path / "article.png")


def test_facet_link_narrows_and_the_url_can_be_shared(server: str, browser: DevTools) -> None:
    browser.goto(server + "?q=bridge")
    href = browser.js("[...document.querySelectorAll('.facets a')].find(a => a.textContent == 'coast').href")
    browser.goto(href)
    assert browser.js("location.search") == "?q=bridge&site=coast"
    assert "1 result for “bridge”" in browser.js("document.body.innerText")
    assert browser.js("document.querySelectorAll('.hit').length") == 1


def test_the_captured_page_shows_in_a_sandbox_where_its_scripts_do_not_run(server: str, browser: DevTools) -> None:
    browser.goto(server + "article?url=https://coast.example/news/9")
    assert "View the page as captured" in browser.js("document.body.innerText")
    browser.js("[...document.querySelectorAll('a')].find(a => a.textContent.includes('as captured')).click()")
    browser.wait_load()
    time.sleep(0.5)  # the frame's own load
    assert browser.js("location.pathname").endswith("/captured")
    assert browser.js("document.querySelector('iframe').getAttribute('sandbox')") == ""
    assert browser.js("document.querySelector('iframe').contentDocument") is None  # another origin: opaque
    assert browser.js("document.title") != "SCRIPT RAN"
    # the sandboxed frame is an opaque origin, so chromium runs it out of process: a target of its own
    frames = [t for t in browser.call("Target.getTargets")["targetInfos"] if "/capture/" in t["url"]]
    assert len(frames) == 1, frames
    session = browser.call("Target.attachToTarget", targetId=frames[0]["targetId"], flatten=True)["sessionId"]
    page_session, browser.session = browser.session, session
    try:
        inside = browser.js("document.body.innerText")
    finally:
        browser.session = page_session
    assert "Pier page as sent" in inside and "SCRIPT RAN" not in inside


def test_a_hostile_record_reads_as_text_and_fits_the_window(server: str, browser: DevTools) -> None:
    browser.goto(server + "article?url=https://coast.example/news/10")
    assert browser.js("document.title").startswith("<script>document.title='pwned'</script><b>Quay</b>")
    assert (
        browser.js("document.querySelector('h1').textContent") == "<script>document.title='pwned'</script><b>Quay</b>"
    )
    assert browser.js("document.querySelectorAll('main script, main img, main b').length") == 0
    assert "東京都" in browser.js("document.body.innerText")
    assert browser.js("document.documentElement.scrollWidth <= window.innerWidth")  # the 5,000-x line wraps
