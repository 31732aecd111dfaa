"""news-archiver's archive: dated JSON Lines of clean articles, a reader, a search index and a CLI.

Imports neither Scrapy nor ``scraper``: downstream tools depend on this package alone.
"""

from .index import Index, SearchHit
from .reader import Archive, DayInfo
from .schema import SCHEMA_VERSION, load_schema, validate
from .writer import ArchiveWriteError, ArchiveWriter

__all__ = [
    "SCHEMA_VERSION",
    "Archive",
    "ArchiveWriteError",
    "ArchiveWriter",
    "DayInfo",
    "Index",
    "SearchHit",
    "load_schema",
    "validate",
]
