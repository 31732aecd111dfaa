"""news-archiver's archive: dated JSON Lines of clean articles, their raw captures in WARC, a reader, a search
index and a CLI.

Imports neither Scrapy nor ``scraper``: downstream tools depend on this package alone.
"""

from .index import Index, SearchHit
from .reader import Archive, DayInfo, Reader
from .schema import SCHEMA_VERSION, load_schema, validate
from .warc import Capture, Source, WarcError, WarcWriter, decoded_body, iter_captures, read_capture
from .writer import ArchiveWriteError, ArchiveWriter

__all__ = [
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveWriteError",
    "ArchiveWriter",
    "Capture",
    "DayInfo",
    "Index",
    "Reader",
    "SearchHit",
    "Source",
    "WarcError",
    "WarcWriter",
    "decoded_body",
    "iter_captures",
    "load_schema",
    "read_capture",
    "validate",
]
