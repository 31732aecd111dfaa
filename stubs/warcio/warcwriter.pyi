from collections.abc import Mapping
from typing import IO

from .recordloader import ArcWarcRecord
from .statusandheaders import StatusAndHeaders

class WARCWriter:
    out: IO[bytes] | None
    def __init__(self, filebuf: IO[bytes] | None, gzip: bool = True, *, warc_version: str | None = None) -> None: ...
    def write_record(self, record: ArcWarcRecord) -> None: ...
    def create_warcinfo_record(self, filename: str, info: Mapping[str, str]) -> ArcWarcRecord: ...
    def create_revisit_record(
        self,
        uri: str,
        digest: str,
        refers_to_uri: str,
        refers_to_date: str,
        http_headers: StatusAndHeaders | None = None,
        warc_headers_dict: Mapping[str, str] | None = None,
    ) -> ArcWarcRecord: ...
    def create_warc_record(
        self,
        uri: str,
        record_type: str,
        payload: IO[bytes] | None = None,
        length: int | None = None,
        warc_content_type: str = "",
        warc_headers_dict: Mapping[str, str] | None = None,
        warc_headers: StatusAndHeaders | None = None,
        http_headers: StatusAndHeaders | None = None,
    ) -> ArcWarcRecord: ...
