"""A real redis-server for the fleet tests: started on 127.0.0.1 on a free port with its own temporary folder,
stopped (or killed, to test a fleet losing Redis) by the test."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis

MISSING = "redis-server is not installed (Debian package redis-server; `make test` installs it as root)"


@dataclass
class RedisServer:
    """A running redis-server: its URL, a client, and its process."""

    url: str
    client: redis.Redis
    process: subprocess.Popen[bytes]

    def kill(self) -> None:
        """SIGKILL the server (Redis going away mid-run)."""
        with contextlib.suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait(10)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def require_redis_server() -> str:
    """The redis-server binary; without one the test skips (one line), or fails when CI is set."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(f"{MISSING}, and CI must run the fleet tests")
        pytest.skip(MISSING)
    return binary


@contextmanager
def redis_server(folder: Path) -> Iterator[RedisServer]:
    """Start redis-server on 127.0.0.1 (a free port, data in `folder`, no snapshots) for the `with` block."""
    binary = require_redis_server()
    for _ in range(5):  # another process may take the free port between the probe and the bind
        port = _free_port()
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""]
        process = subprocess.Popen([*command, "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        client = redis.Redis(host="127.0.0.1", port=port, socket_timeout=5)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            with contextlib.suppress(redis.exceptions.ConnectionError):
                client.ping()
                break
            time.sleep(0.05)
        if process.poll() is None:
            break
    else:
        raise RuntimeError(f"redis-server did not start: {process.stderr.read() if process.stderr else ''!r}")
    server = RedisServer(f"redis://127.0.0.1:{port}/0", client, process)
    try:
        yield server
    finally:
        client.close()
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
