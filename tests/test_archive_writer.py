"""ArchiveWriter: layout, day partitions, hostile names, line safety, crash and error behaviour."""

from __future__ import annotations

import errno
import fcntl
import gzip
import json
import os
import shutil
import subprocess
import zlib
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import archive.writer as writer_mod
from archive import Archive, ArchiveWriteError, ArchiveWriter
from archive.verify import verify
from tests.support.records import clock, make_record

BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029\r\n"


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_path_layout_and_whole_lines(tmp_path: Path) -> None:
    recs = [make_record(i) for i in range(3)]
    with ArchiveWriter(tmp_path, "news", "run-1.a_b", clock=clock("2026-02-01")) as w:
        paths = {w.write(r) for r in recs}
    path = tmp_path / "2026-02-01" / "news-run-1.a_b.jsonl"
    assert paths == {path}
    raw = path.read_bytes()
    assert raw.endswith(b"\n") and raw.count(b"\n") == 3
    assert [json.loads(x) for x in raw.splitlines()] == recs
    assert b", " not in raw.split(b'"text"')[0]  # compact separators


def test_day_partition_follows_the_utc_clock(tmp_path: Path) -> None:
    now = [datetime(2026, 2, 1, 23, 59, 59, tzinfo=UTC)]
    w = ArchiveWriter(tmp_path, "news", "r1", clock=lambda: now[0])
    first = w.write(make_record(1))
    now[0] += timedelta(seconds=2)
    second = w.write(make_record(2))
    now[0] = datetime(2026, 2, 2, 0, 30, tzinfo=timezone(timedelta(hours=2)))  # 1 February 22:30 UTC
    third = w.write(make_record(3))
    w.close()
    assert first == tmp_path / "2026-02-01" / "news-r1.jsonl"
    assert second == tmp_path / "2026-02-02" / "news-r1.jsonl"
    assert third == first  # aware clocks in other zones are converted to UTC
    assert len(lines_of(first)) == 2 and len(lines_of(second)) == 1


def test_default_clock_is_utc_today(tmp_path: Path) -> None:
    before = datetime.now(UTC).date().isoformat()
    with ArchiveWriter(tmp_path, "news", "r1") as w:
        path = w.write(make_record(1))
    assert path.parent.name in {before, datetime.now(UTC).date().isoformat()}


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "../evil",
        "a/b",
        "/abs",
        ".hidden",
        "-dash",
        "a..b",
        "x\n",
        "nul\x00",
        "sp ace",
        "é",
        "a" * 200,
        "..",
        "a\\b",
    ],
)
@pytest.mark.parametrize("which", ["spider", "run_id"])
def test_hostile_names_are_rejected(tmp_path: Path, bad: str, which: str) -> None:
    root = tmp_path / "root"
    names = {"spider": "news", "run_id": "r1", which: bad}
    with pytest.raises(ValueError, match=f"invalid {which}"):
        ArchiveWriter(root, names["spider"], names["run_id"])
    assert list(tmp_path.iterdir()) == []  # nothing written anywhere, inside or outside root


def test_planted_symlink_is_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    day = tmp_path / "root" / "2026-02-01"
    day.mkdir(parents=True)
    (day / "news-r1.jsonl").symlink_to(outside)
    with pytest.raises(ArchiveWriteError, match=r"news-r1\.jsonl"):
        ArchiveWriter(tmp_path / "root", "news", "r1", clock=clock("2026-02-01")).write(make_record(1))
    assert outside.read_text() == "precious\n"


def test_line_breaking_characters_never_split_a_record(tmp_path: Path) -> None:
    recs = [make_record(i, text=f"a{BREAKS}b{i}", title=f"t{BREAKS}") for i in range(3)]
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        path = w.write(recs[0])
        for r in recs[1:]:
            w.write(r)
    text = path.read_text("utf-8")
    assert len(text.splitlines()) == 3  # str.splitlines splits on all of BREAKS
    assert [json.loads(line) for line in text.splitlines()] == recs
    assert "\\u2028" in text and "\\u0085" in text


@pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")
def test_jq_reads_one_record_per_line(tmp_path: Path) -> None:
    recs = [make_record(i, text=f"x{BREAKS}y") for i in range(4)]
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        paths = [w.write(r) for r in recs]
    path = paths[0]
    out = subprocess.run(["jq", "-c", ".text"], stdin=path.open("rb"), capture_output=True, check=True)
    assert [json.loads(x) for x in out.stdout.splitlines()] == [r["text"] for r in recs]


@pytest.mark.parametrize("bad", [{"x": object()}, {"x": float("nan")}, {"x": "\ud800"}, {(1, 2): 3}])
def test_unserialisable_record_is_rejected_before_writing(tmp_path: Path, bad: dict[Any, Any]) -> None:
    w = ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01"))
    path = w.write(make_record(1))
    size = path.stat().st_size
    with pytest.raises(ValueError, match="not JSON-serialisable"):
        w.write({**make_record(2), **bad})
    w.close()
    assert path.stat().st_size == size


def test_mapping_that_is_not_a_dict_is_accepted(tmp_path: Path) -> None:
    from types import MappingProxyType

    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        path = w.write(MappingProxyType(make_record(1)))
    assert json.loads(path.read_bytes()) == make_record(1)


def test_torn_line_from_an_earlier_run_is_closed_before_appending(tmp_path: Path) -> None:
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        path = w.write(make_record(1))
    with path.open("ab") as f:
        f.write(b'{"schema_version":1,"url":"https://exa')  # what a SIGKILL mid-write could leave
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        w.write(make_record(2))
    lines = lines_of(path)
    assert len(lines) == 3
    assert json.loads(lines[2]) == make_record(2)
    assert [r["url"] for r in Archive(tmp_path).records()] == [make_record(i)["url"] for i in (1, 2)]


def _fail_on(fd_holder: ArchiveWriter, exc: OSError, partial: int | None = None) -> Any:
    """An os.write that fails for the writer's descriptor (after a partial write, optionally)."""
    real = os.write
    calls = [0]

    def fake(fd: int, data: Any) -> int:
        if fd_holder._current is None or fd != fd_holder._current.fd:
            return real(fd, data)
        calls[0] += 1
        if partial is not None and calls[0] == 1:
            return real(fd, bytes(data[:partial]))
        raise exc

    return fake


def test_disk_full_raises_a_named_error_and_leaves_whole_lines(tmp_path: Path, monkeypatch: Any) -> None:
    """ENOSPC is injected at os.write (a real full disk can't be made here); a partial line is undone."""
    w = ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01"))
    path = w.write(make_record(1))
    good = path.read_bytes()
    with monkeypatch.context() as m:
        m.setattr(os, "write", _fail_on(w, OSError(errno.ENOSPC, "No space left on device"), 50))
        with pytest.raises(ArchiveWriteError) as info:
            w.write(make_record(2))
    assert info.value.errno == errno.ENOSPC
    assert str(path) in str(info.value) and "No space left" in str(info.value)
    assert path.read_bytes() == good  # the 50 bytes that did get written were truncated away
    w.write(make_record(3))  # space is back: the writer carries on
    w.close()
    assert verify(tmp_path).clean


def test_permission_denied_on_open_names_the_path(tmp_path: Path, monkeypatch: Any) -> None:
    """EACCES is injected at os.open: these tests run as root, where chmod 0o500 would not stop a write."""
    real = os.open

    def fake(path: Any, flags: int, *args: Any) -> int:
        if str(path).endswith("news-r1.jsonl"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, flags, *args)

    monkeypatch.setattr(os, "open", fake)
    with pytest.raises(ArchiveWriteError, match=r"news-r1\.jsonl.*Permission denied") as info:
        ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")).write(make_record(1))
    assert info.value.errno == errno.EACCES


def test_root_that_is_a_file_raises_a_named_error(tmp_path: Path) -> None:
    """A real OS error, no injection: the root path runs through a regular file (ENOTDIR)."""
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ArchiveWriteError, match=str(blocker)) as info:
        ArchiveWriter(blocker / "root", "news", "r1").write(make_record(1))
    assert info.value.errno in (errno.ENOTDIR, errno.EEXIST)


def test_short_writes_are_completed(tmp_path: Path, monkeypatch: Any) -> None:
    real = os.write
    w = ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01"))
    w.write(make_record(0))
    monkeypatch.setattr(os, "write", lambda fd, data: real(fd, bytes(data[:7])))
    path = w.write(make_record(1))
    monkeypatch.undo()
    w.close()
    assert [json.loads(x) for x in lines_of(path)] == [make_record(0), make_record(1)]


def test_fsync_every_n_records_and_on_close(tmp_path: Path, monkeypatch: Any) -> None:
    w = ArchiveWriter(tmp_path, "news", "r1", fsync_every=10, clock=clock("2026-02-01"))
    w.write(make_record(0))
    synced: list[int] = []
    real = os.fsync

    def counting_fsync(fd: int) -> None:
        synced.append(fd)
        real(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)
    for i in range(1, 25):
        w.write(make_record(i))
    assert len(synced) == 2  # after records 10 and 20
    w.close()
    assert len(synced) == 3
    w.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        w.write(make_record(99))


def test_gzip_compresses_each_finished_file(tmp_path: Path) -> None:
    now = [datetime(2026, 2, 1, 12, tzinfo=UTC)]
    with ArchiveWriter(tmp_path, "news", "r1", gzip=True, clock=lambda: now[0]) as w:
        w.write(make_record(1))
        now[0] += timedelta(days=1)  # the first day is finished (and compressed) when the second begins
        w.write(make_record(2))
        assert (tmp_path / "2026-02-01" / "news-r1.jsonl.gz").exists()
    names = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert names == ["2026-02-01/news-r1.jsonl.gz", "2026-02-02/news-r1.jsonl.gz"]
    with gzip.open(tmp_path / "2026-02-01" / "news-r1.jsonl.gz") as f:
        assert json.loads(f.read()) == make_record(1)
    # a restarted run with the same id adds a gzip member; nothing is overwritten
    with ArchiveWriter(tmp_path, "news", "r1", gzip=True, clock=clock("2026-02-01")) as w:
        w.write(make_record(3))
    assert [r["url"] for r in Archive(tmp_path).records()] == [make_record(i)["url"] for i in (1, 3, 2)]
    assert verify(tmp_path).clean


def test_leftover_plain_file_after_an_interrupted_compress(tmp_path: Path) -> None:
    """A crash between renaming the .gz into place and unlinking the .jsonl leaves both: never doubled."""
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        path = w.write(make_record(1))
    with gzip.open(path.with_name(path.name + ".gz"), "wb") as z:
        z.write(path.read_bytes())
    assert len(list(Archive(tmp_path).records())) == 1
    report = verify(tmp_path)
    assert [p.kind for p in report.problems] == ["leftover"]
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as w:
        w.write(make_record(2))  # the writer sets the leftover aside before appending
    assert [r["url"] for r in Archive(tmp_path).records()] == [make_record(i)["url"] for i in (1, 2)]
    assert verify(tmp_path).clean
    assert list((tmp_path / ".quarantine" / "2026-02-01").iterdir())


def test_one_writer_per_file(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(writer_mod, "LOCK_TIMEOUT", 0.1)
    with ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01")) as first:
        first.write(make_record(1))
        second = ArchiveWriter(tmp_path, "news", "r1", clock=clock("2026-02-01"))
        with pytest.raises(ArchiveWriteError, match="locked by another writer"):
            second.write(make_record(2))
        with ArchiveWriter(tmp_path, "news", "r2", clock=clock("2026-02-01")) as other:
            other.write(make_record(3))  # a different run id is a different file: fine


# --- writes that name their day (import-warc, reextract) -------------------------------------------------------


def open_files_under(root: Path) -> int:
    """How many descriptors of this process are open on files under ``root``."""
    fds = Path("/proc/self/fd")
    return sum(1 for fd in fds.iterdir() if os.path.realpath(fd).startswith(str(root) + os.sep))


def test_interleaved_days_keep_at_most_max_open_files_and_a_reopened_day_is_appended_to(tmp_path: Path) -> None:
    """CC-NEWS-like order: days come back after others pushed them out; every line lands whole in its day, in order."""
    days = ["2019-03-04", "2019-03-05", "2019-03-06", "2019-03-04", "2019-03-06", "2019-03-05", "2019-03-04"] * 3
    with ArchiveWriter(tmp_path, "warc-import", "r1", max_open=2, fsync_every=1000) as w:
        for n, day in enumerate(days):
            w.write(make_record(n), day=day)
            assert open_files_under(tmp_path) <= 2
        assert w.reopened > 0
    for day in sorted(set(days)):
        path = tmp_path / day / "warc-import-r1.jsonl"
        assert [json.loads(x) for x in lines_of(path)] == [make_record(n) for n, d in enumerate(days) if d == day]
    assert open_files_under(tmp_path) == 0
    assert verify(tmp_path).clean


def test_a_day_set_aside_keeps_its_fsync_count_and_is_fsynced_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Closing a day to make room does not fsync it (that would be an fsync per write when days interleave beyond
    max_open); its appends still count towards fsync_every when it is opened again, and close fsyncs what is left."""
    synced: list[str] = []
    real = os.fsync

    def fsync(fd: int) -> None:
        path = Path(os.path.realpath(f"/proc/self/fd/{fd}"))
        if path.is_file():  # not a directory's fsync (a new file's entry)
            synced.append(path.parent.name[-2:])
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with ArchiveWriter(tmp_path, "warc-import", "r1", max_open=1, fsync_every=3) as w:
        for n, day in enumerate(["2019-03-04", "2019-03-05", "2019-03-04", "2019-03-05", "2019-03-04"]):
            w.write(make_record(n), day=day)
        assert synced == ["04"]  # its third record, across two reopens
        w.write(make_record(5), day="2019-03-06")
    assert synced == ["04", "06", "05"]  # at close: the open day, then the day set aside with two records unsynced
    assert [json.loads(x)["url"] for x in lines_of(tmp_path / "2019-03-05" / "warc-import-r1.jsonl")] == [
        make_record(n)["url"] for n in (1, 3)
    ]


def gzip_members(path: Path) -> int:
    """How many gzip members ``path`` holds."""
    data, members = path.read_bytes(), 0
    while data:
        z = zlib.decompressobj(31)
        z.decompress(data)
        assert z.eof
        members += 1
        data = z.unused_data
    return members


def test_gzip_finishes_each_named_day_once_at_close_never_one_written_again(tmp_path: Path) -> None:
    """Compressing a day set aside would have its next write start a plain file again (and the gz be rewritten
    whole for every member): set-aside days stay plain until close, then each is compressed once."""
    days = ["2019-03-04", "2019-03-05"] * 4
    with ArchiveWriter(tmp_path, "warc-import", "r1", gzip=True, max_open=1) as w:
        for n, day in enumerate(days):
            w.write(make_record(n), day=day)
        assert w.reopened == len(days) - 2
        assert not list(tmp_path.rglob("*.gz"))  # nothing finished while the run may write the day again
    names = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert names == ["2019-03-04/warc-import-r1.jsonl.gz", "2019-03-05/warc-import-r1.jsonl.gz"]
    for day in ("2019-03-04", "2019-03-05"):
        path = tmp_path / day / "warc-import-r1.jsonl.gz"
        assert gzip_members(path) == 1
        with gzip.open(path) as f:
            assert [json.loads(x) for x in f] == [make_record(n) for n, d in enumerate(days) if d == day]
    assert verify(tmp_path).clean


@pytest.mark.parametrize(
    ("day", "folder"),
    [
        ("2019-03-05", "2019-03-05"),
        (date(2019, 3, 5), "2019-03-05"),
        (datetime(2019, 3, 5, 23, 30, tzinfo=timezone(timedelta(hours=-2))), "2019-03-06"),  # its UTC day
        (datetime(2019, 3, 6, 0, 30, tzinfo=timezone(timedelta(hours=2))), "2019-03-05"),
    ],
)
def test_a_named_day_is_its_utc_date(tmp_path: Path, day: date | str, folder: str) -> None:
    with ArchiveWriter(tmp_path, "warc-import", "r1") as w:
        assert w.write(make_record(1), day=day) == tmp_path / folder / "warc-import-r1.jsonl"


@pytest.mark.parametrize("day", ["2019-3-5", "2019-02-30", "../../etc", "2019-03-05/x", "", datetime(2019, 3, 5, 12)])
def test_a_day_that_is_no_date_is_refused_and_no_folder_is_made(tmp_path: Path, day: Any) -> None:
    with ArchiveWriter(tmp_path, "warc-import", "r1") as w:
        with pytest.raises(ValueError, match="day"):
            w.write(make_record(1), day=day)
        w.write(make_record(2), day="2019-03-05")  # the writer carries on
    assert [p.name for p in tmp_path.iterdir()] == ["2019-03-05"]


def test_clock_writes_still_finish_a_past_day_at_once_beside_named_days(tmp_path: Path) -> None:
    """A crawl's clock moving past midnight compresses the day it left; named days are untouched by the clock."""
    now = [datetime(2026, 2, 1, 23, 59, tzinfo=UTC)]
    with ArchiveWriter(tmp_path, "news", "r1", gzip=True, clock=lambda: now[0]) as w:
        w.write(make_record(1))
        w.write(make_record(2), day="2019-03-05")
        now[0] += timedelta(minutes=2)
        w.write(make_record(3))
        assert (tmp_path / "2026-02-01" / "news-r1.jsonl.gz").exists()
        assert (tmp_path / "2019-03-05" / "news-r1.jsonl").exists()
    assert [r["url"] for r in Archive(tmp_path).records()] == [make_record(i)["url"] for i in (2, 1, 3)]


def test_a_set_aside_day_that_cannot_be_reopened_is_still_finished_at_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writer_mod, "LOCK_TIMEOUT", 0.1)
    with ArchiveWriter(tmp_path, "warc-import", "r1", gzip=True, max_open=1) as w:
        first = w.write(make_record(1), day="2019-03-04")
        w.write(make_record(2), day="2019-03-05")  # 2019-03-04 set aside
        holder = os.open(first, os.O_RDONLY)
        fcntl.flock(holder, fcntl.LOCK_EX)  # another writer holds it for a while
        with pytest.raises(ArchiveWriteError, match="locked by another writer"):
            w.write(make_record(3), day="2019-03-04")
        os.close(holder)
    assert not first.exists() and first.with_name(first.name + ".gz").exists()  # compressed all the same
    assert [r["url"] for r in Archive(tmp_path).records()] == [make_record(i)["url"] for i in (1, 2)]
