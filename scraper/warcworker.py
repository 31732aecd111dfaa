"""The WARC writer's side of capture, run in a worker process of its own (scraper.workerpool, one worker): building
WARC records (digests, headers, gzip) costs the crawl's reactor thread as much as a fifth of its pages/s, so
the crawl hands each capture over and awaits where it was written.

A module of its own, importing only the archive library: the worker starts without Scrapy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from archive.warc import Capture, Source, WarcError, WarcWriter, payload_digest, read_capture


@dataclass
class Written:
    """Where a capture was written: `source` (for a revisit, the earlier response's), how (`response` or
    `revisit`), the bytes added to the WARC, and a warning for the crawl's log (an earlier capture unreadable)."""

    source: Source
    kind: str
    size: int
    warning: str | None = None


_writer: WarcWriter | None = None


def write(
    root: str,
    spider: str,
    run_id: str,
    fsync_every: int,
    capture: Capture,
    metadata: Mapping[str, object],
    previous: Source | None,
) -> Written:
    """Write `capture` to the run's WARC: a revisit record when `previous` (its URL's last capture) has the same
    payload digest and can be read back, else response + request + metadata records. OSError when the WARC
    cannot be written (a plain one: the archive's error type does not survive the trip back)."""
    global _writer
    try:
        if _writer is None:
            _writer = WarcWriter(root, spider, run_id, fsync_every=fsync_every)
        before = _writer.bytes_written
        warning = None
        if previous is not None and previous.get("digest") == payload_digest(capture.body):
            try:
                earlier = read_capture(root, previous)
            except (OSError, WarcError) as exc:
                warning = f"the last capture of {capture.url} ({previous['warc']}) cannot be read ({exc})"
            else:
                if earlier.url == capture.url:
                    source = _writer.write_revisit(capture, previous, earlier.url, earlier.date)
                    return Written(source, "revisit", _writer.bytes_written - before)
                warning = f"the last capture of {capture.url} ({previous['warc']}) holds {earlier.url}"
        source = _writer.write_response(capture, metadata=metadata)
        return Written(source, "response", _writer.bytes_written - before, warning)
    except OSError as exc:
        raise OSError(exc.errno, str(exc)) from None


def flush() -> None:
    """fsync the run's WARC file (before the JSONL that points into it is fsynced)."""
    if _writer is not None:
        try:
            _writer.flush()
        except OSError as exc:
            raise OSError(exc.errno, str(exc)) from None


def close() -> None:
    """fsync and close the run's WARC file."""
    global _writer
    if _writer is not None:
        writer, _writer = _writer, None
        try:
            writer.close()
        except OSError as exc:
            raise OSError(exc.errno, str(exc)) from None
