"""news-archive: the command line for an archive (days, cat, show, search, stats, verify, export, ...)."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import sys
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, NoReturn

from .index import QueryError, parse_query
from .jsonline import dumps, encode_line, needs_reencode
from .names import parse_day
from .reader import Archive, Reader, date_range

if TYPE_CHECKING:
    from .rebuild import Extractor

PROG = "news-archive"
DEFAULT_ROOT = "data"
MAX_PROBLEMS_SHOWN = 200
#: Commands that write under their root take exactly one --root (so does verify --repair); the others read several.
WRITE_COMMANDS = frozenset({"reindex", "reextract", "import-warc"})
#: List fields added within schema version 1: records archived before them lack them; `cat --fields` gives [].
ADDED_LISTS: dict[str, list[str]] = {"organizations": []}


class UsageError(Exception):
    """A mistake on the command line: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _day(value: str) -> str:
    try:
        day = parse_day(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    assert day is not None
    return day


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive whole number, not {value!r}")
    return n


def _root_option(dest: str, writes: bool = False) -> _Parser:
    """A parent parser with the repeatable ``--root`` option collected into ``dest``.

    The main parser and the subcommands use two dests: argparse copies a subcommand's values over the main
    parser's, so one shared dest would drop the roots given before the subcommand.
    """
    opt = _Parser(add_help=False)
    opt.add_argument(
        "--root",
        dest=dest,
        action="append",
        default=argparse.SUPPRESS,
        metavar="ROOT",
        help=f"archive directory (default: $ARCHIVE_DIR, else ./{DEFAULT_ROOT}); "
        + ("one only: this command writes to it" if writes else "repeat to read several as one"),
    )
    return opt


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (subcommands, each with --root accepted before or after it, any number of times)."""
    root_opt, write_root_opt = _root_option("roots_after"), _root_option("roots_after", writes=True)
    p = _Parser(
        prog=PROG, description="Read, search and check a news-archiver archive.", parents=[_root_option("roots_before")]
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name: str, func: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        parent = write_root_opt if name in WRITE_COMMANDS else root_opt
        c = sub.add_parser(name, help=help, description=help, parents=[parent])
        c.set_defaults(func=func)
        return c

    def date_filters(c: argparse.ArgumentParser, site: bool = True) -> None:
        c.add_argument("--since", type=_day, metavar="DATE", help="first day, YYYY-MM-DD (inclusive)")
        c.add_argument("--until", type=_day, metavar="DATE", help="last day, YYYY-MM-DD (inclusive)")
        if site:
            c.add_argument("--site", help="only records of this site id")

    command("days", cmd_days, "list the day partitions with their files and record counts")
    c = command("cat", cmd_cat, "print records as JSON lines (for jq)")
    date_filters(c)
    c.add_argument("--spider", help="only records archived by this spider")
    c.add_argument("--fields", help="comma-separated fields to keep, e.g. url,title")
    c.add_argument(
        "--latest", action="store_true", help="one record per URL: the latest extraction of the latest capture"
    )
    c = command("show", cmd_show, "print every stored revision of the record for a URL")
    c.add_argument("url")
    c.add_argument("--jsonl", action="store_true", help="one compact JSON line per revision")
    c = command("search", cmd_search, "full-text search over title and text (updates the index first)")
    c.add_argument("query", nargs="+", help="words that must all occur; title:WORD or text:WORD for one field")
    c.add_argument("--limit", type=_positive, default=10, help="how many hits (default 10)")
    c.add_argument("--json", action="store_true", help="hits as JSON lines")
    c.add_argument("--no-update", action="store_true", help="search the index as it is")
    command("reindex", cmd_reindex, "rebuild the search index from the JSONL files")
    c = command("stats", cmd_stats, "records per day and per site, with bar charts")
    date_filters(c, site=False)
    c.add_argument("--html", metavar="FILE", help="write a self-contained HTML report to FILE")
    c = command("runs", cmd_runs, "list the crawls' end-of-run summaries: archived, dropped and failed by reason")
    date_filters(c, site=False)
    c.add_argument("--sites", action="store_true", help="also one line per site of each run")
    c.add_argument("--json", action="store_true", help="each summary as stored, one JSON object per line")
    c = command("verify", cmd_verify, "check every line against the schema; report torn lines, duplicates")
    c.add_argument("--repair", action="store_true", help="move torn and corrupt lines to .quarantine/")
    command("schema", cmd_schema, "print the record's JSON Schema")
    c = command("export", cmd_export, "export records to Parquet or CSV")
    c.add_argument("out", metavar="OUT", help="output file")
    c.add_argument("--format", choices=["parquet", "csv"], help="default: from OUT's suffix")
    date_filters(c)
    _rebuild_commands(command, date_filters)
    _warc_commands(command)
    _serve_command(command)
    return p


def _roots(args: argparse.Namespace) -> list[Path]:
    """Every ``--root`` given, before and after the subcommand; else $ARCHIVE_DIR, else ./data."""
    given = [*getattr(args, "roots_before", []), *getattr(args, "roots_after", [])]
    return [Path(r) for r in given] or [Path(os.environ.get("ARCHIVE_DIR") or DEFAULT_ROOT)]


def _existing(roots: list[Path]) -> list[Path]:
    for root in roots:
        if not root.is_dir():
            raise UsageError(f"no archive at '{root}' (set --root or ARCHIVE_DIR)")
    return roots


def _reader(args: argparse.Namespace) -> Reader:
    """What a read command reads: the one archive root, or the union of the roots given."""
    roots = _existing(_roots(args))
    try:
        return Archive(roots[0]) if len(roots) == 1 else Reader(roots)
    except ValueError as exc:  # a root given twice
        raise UsageError(str(exc)) from None


def _root(args: argparse.Namespace) -> Path:
    """The one root a command that writes works on; a usage error when several are given."""
    roots = _roots(args)
    if len(roots) > 1:
        what = f"{args.command} --repair" if getattr(args, "repair", False) else args.command
        raise UsageError(f"{what} writes to one archive: give one --root, not {len(roots)}")
    return roots[0]


def _archive(args: argparse.Namespace) -> Archive:
    """The one existing archive a command that writes works on."""
    return Archive(_existing([_root(args)])[0])


def _out() -> BinaryIO:
    return sys.stdout.buffer


def cmd_days(args: argparse.Namespace) -> int:
    """news-archive days."""
    days = _reader(args).days()
    print(f"{'day':<10}  {'files':>5}  {'records':>10}  {'size':>10}  {'warc':>10}")
    for d in days:
        print(f"{d.day:<10}  {len(d.files):>5}  {d.records:>10,}  {_size(d.bytes):>10}  {_size(d.warc_bytes):>10}")
    print(
        f"{'total':<10}  {sum(len(d.files) for d in days):>5}  {sum(d.records for d in days):>10,}  "
        f"{_size(sum(d.bytes for d in days)):>10}  {_size(sum(d.warc_bytes for d in days)):>10}"
    )
    return 0


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} TB"


def cmd_cat(args: argparse.Namespace) -> int:
    """news-archive cat: raw lines pass through untouched unless they need re-encoding."""
    archive = _reader(args)
    lo, hi = _range(args)
    fields = _fields(args.fields)
    out, pending, size = _out(), [], 0
    for line, rec in archive.lines(lo, hi, args.site, args.spider, latest=args.latest):
        if fields is not None:
            try:
                data = (dumps({f: rec.get(f, ADDED_LISTS.get(f)) for f in fields}) + "\n").encode(
                    "utf-8", "surrogatepass"
                )
            except ValueError:
                continue
        elif line.endswith(b"}\n") and not needs_reencode(line):
            data = line
        else:
            try:
                data = encode_line(rec)
            except ValueError:
                continue
        pending.append(data)
        size += len(data)
        if size >= 1 << 18:
            out.write(b"".join(pending))
            pending, size = [], 0
    out.write(b"".join(pending))
    out.flush()
    return 0


def _fields(spec: str | None) -> list[str] | None:
    """The record fields named by ``--fields``; a usage error naming any unknown one."""
    if spec is None:
        return None
    from .schema import load_schema

    known = list(load_schema()["properties"])
    fields = [f.strip() for f in spec.split(",") if f.strip()]
    unknown = [f for f in fields if f not in known]
    if unknown or not fields:
        raise UsageError(
            f"unknown field {', '.join(map(repr, unknown)) or repr(spec)} in --fields: "
            f"the fields are {', '.join(known)}"
        )
    return fields


def _range(args: argparse.Namespace) -> tuple[str | None, str | None]:
    try:
        return date_range(args.since, args.until)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def cmd_show(args: argparse.Namespace) -> int:
    """news-archive show URL."""
    revisions = _reader(args).get(args.url)
    if not revisions:
        print(f"{PROG}: no record for '{args.url}'", file=sys.stderr)
        return 1
    for rec in revisions:
        if args.jsonl:
            _out().write(encode_line(rec))
        else:
            _out().write((json.dumps(rec, ensure_ascii=False, indent=2) + "\n").encode())
    _out().flush()
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """news-archive search QUERY."""
    archive = _reader(args)
    query = " ".join(args.query)
    try:
        if not parse_query(query):
            raise UsageError(f"nothing to search for in {query!r}: give one or more words")
        hits = archive.search(query, args.limit, update=not args.no_update)
    except QueryError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        for h in hits:
            _out().write(encode_line(h.__dict__))
        _out().flush()
        return 0
    if not hits:
        print(f"no matches for {query!r}", file=sys.stderr)
        return 0
    width = shutil.get_terminal_size((120, 24)).columns
    site_w = min(16, max(4, *(len(h.site or "") for h in hits)))
    title_w = 56
    print(f"{'#':>3}  {'date':<10}  {'site':<{site_w}}  {'title':<{title_w}}  url")
    for h in hits:
        date = (h.published_at or h.day)[:10]
        print(
            f"{h.rank:>3}  {date:<10}  {_fit(h.site or '', site_w)}  {_fit(h.title or '(untitled)', title_w)}  {h.url}"
        )
        if h.snippet:
            print(f"{'':>5}{_cut(h.snippet, max(40, width - 6))}")
    return 0


def _cells(ch: str) -> int:
    return 2 if unicodedata.east_asian_width(ch) in "WF" else 1


def _cut(text: str, width: int) -> str:
    """``text`` on one line, cut with an ellipsis to at most ``width`` terminal cells (CJK counts two)."""
    text = " ".join(text.split())
    if len(text) <= width // 2 or sum(map(_cells, text)) <= width:
        return text
    used, out = 1, []
    for ch in text:
        used += _cells(ch)
        if used > width:
            break
        out.append(ch)
    return "".join(out) + "…"


def _fit(text: str, width: int) -> str:
    """``text`` cut or padded to exactly ``width`` terminal cells."""
    cut = _cut(text, width)
    return cut + " " * (width - sum(map(_cells, cut)))


def cmd_reindex(args: argparse.Namespace) -> int:
    """news-archive reindex."""
    with _archive(args).index() as idx:
        st = idx.reindex()
    print(
        f"indexed {st.records:,} records from {st.files:,} files in {st.seconds:.1f}s"
        + (f" ({st.skipped:,} unreadable lines skipped)" if st.skipped else "")
    )
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """news-archive stats [--html FILE]."""
    from .stats import collect, render_html, render_text

    archive = _reader(args)
    lo, hi = _range(args)
    stats = collect(archive, lo, hi)
    if args.html:
        Path(args.html).write_text(render_html(stats), encoding="utf-8")
        print(f"wrote {args.html} ({stats.total:,} records)", file=sys.stderr)
    else:
        sys.stdout.write(render_text(stats))
    return 0


def cmd_runs(args: argparse.Namespace) -> int:
    """news-archive runs [--sites] [--json]: the run summaries (archive/runs.py), by day."""
    from .runs import read_summaries, summary_lines

    found = read_summaries(_reader(args).roots, *_range(args))
    for stored in found:
        if args.json:
            print(json.dumps(stored.summary.to_json(), sort_keys=True))
        else:
            print("\n".join(summary_lines(stored, args.sites)))
    print(f"{len(found):,} run summaries", file=sys.stderr)
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """news-archive verify [--repair]: exit 0 only when clean; several roots (no --repair): each root reported."""
    from .progress import Progress
    from .verify import verify

    roots = [_archive(args).root] if args.repair else _reader(args).roots
    clean = True
    for root in roots:
        with Progress("verify") as progress:
            report = verify(root, repair=args.repair, progress=progress)
        for p in report.problems[:MAX_PROBLEMS_SHOWN]:
            print(p)
        if len(report.problems) > MAX_PROBLEMS_SHOWN:
            print(f"... and {len(report.problems) - MAX_PROBLEMS_SHOWN:,} more")
        for q in report.quarantined:
            print(f"moved rejected bytes to {q}")
        print(report.summary() if len(roots) == 1 else f"{root}: {report.summary()}")
        clean = clean and report.clean
    return 0 if clean else 1


def cmd_schema(args: argparse.Namespace) -> int:
    """news-archive schema."""
    from .schema import schema_text

    sys.stdout.write(schema_text())
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """news-archive export OUT [--format parquet|csv]."""
    from .export import export

    fmt = args.format or {".parquet": "parquet", ".csv": "csv"}.get(Path(args.out).suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the format of '{args.out}': add --format parquet or --format csv")
    archive = _reader(args)
    lo, hi = _range(args)
    n = export(archive.records(lo, hi, site=args.site), args.out, fmt)
    print(f"exported {n:,} records to {args.out}", file=sys.stderr)
    return 0


class _OneLine(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return f"{PROG}: warning: " + " ".join(record.getMessage().split())


@contextlib.contextmanager
def _warnings_to_stderr() -> Iterator[None]:
    log = logging.getLogger("archive")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_OneLine())
    log.addHandler(handler)
    saved = log.propagate
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(handler)
        log.propagate = saved


def _fail(message: str, status: int) -> int:
    print(f"{PROG}: error: {' '.join(message.split())}", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit status (2 for usage errors, 1 for failures)."""
    try:
        with _warnings_to_stderr():
            args = build_parser().parse_args(argv)
            return int(args.func(args))
    except UsageError as exc:
        return _fail(str(exc), 2)
    except BrokenPipeError:
        # the reader went away (news-archive cat | head): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        return 130
    except (OSError, TimeoutError, sqlite3.Error, ValueError) as exc:
        return _fail(str(exc) or type(exc).__name__, 1)


# --- reextract, import-warc (archive/rebuild.py) ------------------------------------------------------------------


def _rebuild_commands(
    command: Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser],
    date_filters: Callable[[argparse.ArgumentParser], None],
) -> None:
    c = command("reextract", cmd_reextract, "extract the stored responses again; write the records that changed")
    date_filters(c)
    _rebuild_options(c)
    c = command("import-warc", cmd_import_warc, "archive the HTML responses of WARC files (CC-NEWS too)")
    c.add_argument("files", nargs="+", metavar="FILE", help="WARC files: .warc, .warc.gz (per record or whole)")
    c.add_argument("--site", action="append", default=[], type=_site, help="only this host and below (repeatable)")
    c.add_argument("--since", type=_day, metavar="DATE", help="only captures from this day on (WARC-Date, UTC)")
    _rebuild_options(c)


def _rebuild_options(c: argparse.ArgumentParser) -> None:
    c.add_argument("--workers", type=_count, help="extraction processes (default: one per CPU; 0: in this process)")
    c.add_argument("-v", "--verbose", action="store_true", help="a line for every page not written, and why")


def _count(value: str) -> int:
    if not value.isdigit():
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, not {value!r}")
    return int(value)


def _site(value: str) -> str:
    site = value.strip().lower().removeprefix("www.")
    if not site or "/" in site or " " in site:
        raise argparse.ArgumentTypeError(f"expected a host name like example.com, not {value!r}")
    return site


def _extractor(args: argparse.Namespace) -> Extractor:
    from .rebuild import ExtractorMissing, load_extractor

    if args.verbose:
        logging.getLogger("archive").setLevel(logging.INFO)
    try:
        return load_extractor()
    except ExtractorMissing as exc:
        raise UsageError(str(exc)) from None


def cmd_reextract(args: argparse.Namespace) -> int:
    """news-archive reextract [--since D] [--until D] [--site S]."""
    from .progress import Progress
    from .rebuild import reextract

    archive = _archive(args)
    lo, hi = _range(args)
    extractor = _extractor(args)
    with Progress("reextract") as progress:
        summary = reextract(
            archive.root,
            since=lo,
            until=hi,
            site=args.site,
            workers=args.workers,
            extractor=extractor,
            progress=progress,
        )
    print(summary.line())
    return 0


def cmd_import_warc(args: argparse.Namespace) -> int:
    """news-archive import-warc FILE... [--site S]... [--since D]: exit 1 when a file could not be read."""
    from .progress import Progress
    from .rebuild import import_warc

    root = _root(args)
    extractor = _extractor(args)
    with Progress("import-warc") as progress:

        def unreadable(message: str) -> None:
            progress.close()
            print(f"{PROG}: error: {message}", file=sys.stderr)

        summary = import_warc(
            root,
            args.files,
            sites=args.site,
            since=args.since,
            workers=args.workers,
            extractor=extractor,
            progress=progress,
            on_unreadable=unreadable,
        )
    print(summary.line())
    return 1 if summary.unreadable else 0


# --- raw (archive/warc.py) ----------------------------------------------------------------------------------------


def _warc_commands(
    command: Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser],
) -> None:
    c = command("raw", cmd_raw, "write the stored response of a URL (its latest capture) to stdout, as captured")
    c.add_argument("url")
    c.add_argument("--headers", action="store_true", help="the HTTP status line and headers first, as captured")
    c.add_argument("--decoded", action="store_true", help="undo the body's Content-Encoding (gzip, deflate, br)")


def cmd_raw(args: argparse.Namespace) -> int:
    """news-archive raw URL [--headers] [--decoded]: exit 1 when the archive holds no capture of URL."""
    from .warc import decoded_body, read_capture

    archive = _reader(args)
    found = archive.last_capture(args.url)
    if found is None:
        where = ", ".join(f"'{r}'" for r in archive.roots)
        return _fail(f"no capture of {args.url} in {where} (records without a source have none)", 1)
    root, source = found
    capture = read_capture(root, source, url=args.url)
    out = _out()
    if args.headers:
        head = [f"HTTP/1.1 {capture.status} {capture.reason}".rstrip()]
        head += [f"{name}: {value}" for name, value in capture.headers]
        out.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1", "replace"))
    out.write(decoded_body(capture) if args.decoded else capture.body)
    out.flush()
    return 0


# --- serve (archive/web/) -----------------------------------------------------------------------------------------


def _serve_command(
    command: Callable[[str, Callable[[argparse.Namespace], int], str], argparse.ArgumentParser],
) -> None:
    help = "serve a read-only web app to search and read the archive (http://127.0.0.1:8080/ by default)"
    c = command("serve", cmd_serve, help)
    c.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    c.add_argument("--port", type=_port, default=8080, help="port to listen on (default 8080; 0 picks a free one)")
    c.add_argument(
        "--refresh",
        type=_seconds,
        default=30.0,
        metavar="SECONDS",
        help="look for newly archived records every SECONDS while serving (default 30; 0: never)",
    )


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise argparse.ArgumentTypeError(f"expected a number of seconds from 0 to 86400, not {value!r}")
    return seconds


def _port(value: str) -> int:
    if not value.isdigit() or int(value) > 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, not {value!r}")
    return int(value)


def cmd_serve(args: argparse.Namespace) -> int:
    """news-archive serve [--root R]... [--host H] [--port P] [--refresh S]: runs until interrupted."""
    import ipaddress
    import socket

    import uvicorn

    from .web import create_app

    roots = _reader(args).roots
    try:  # listen first, so that a busy port is said before the archive is read
        family, kind, proto, _, address = socket.getaddrinfo(args.host, args.port, type=socket.SOCK_STREAM)[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        return _fail(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", 1)
    with sock:
        host, port = sock.getsockname()[:2]
        loopback = ipaddress.ip_address(host).is_loopback
        app = create_app(
            roots,
            allowed_hosts=["127.0.0.1", "localhost", "::1", "[::1]"] if loopback else None,
            refresh=args.refresh,
            report=lambda done: print(f"{PROG}: {done}", flush=True),
        )
        url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
        served = f"{app.state.store.records:,} records of {', '.join(map(str, roots))}"
        print(f"{PROG}: serving {served} at {url} (Ctrl-C stops)", flush=True)
        server = uvicorn.Server(
            uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", server_header=False)
        )
        server.run(sockets=[sock])
    return 0
