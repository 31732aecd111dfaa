"""A stats collector that also writes the run's final stats to a JSON file (STATS_FILE), for monitoring."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from pathlib import Path

from scrapy.statscollectors import MemoryStatsCollector, StatsT

from archive.files import write_atomic

log = logging.getLogger(__name__)


def _json_value(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


def write_stats(path: Path, stats: StatsT) -> None:
    """Write `stats` as one JSON object (sorted keys, datetimes in ISO 8601) to `path`, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(stats, default=_json_value, sort_keys=True, indent=1, ensure_ascii=False) + "\n"
    write_atomic(path, text.encode("utf-8"))


class JsonFileStatsCollector(MemoryStatsCollector):
    """Scrapy's in-memory stats collector; at the end of the run the stats also go to STATS_FILE, if set."""

    def _persist_stats(self, stats: StatsT) -> None:
        super()._persist_stats(stats)
        if not (target := self._crawler.settings.get("STATS_FILE")):
            return
        try:
            write_stats(Path(target), stats)
        except OSError as exc:
            log.error("cannot write the run's stats to STATS_FILE %s: %s", target, exc)
