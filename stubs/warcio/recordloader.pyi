from typing import BinaryIO

from .statusandheaders import StatusAndHeaders

class ArcWarcRecord:
    format: str
    rec_type: str
    rec_headers: StatusAndHeaders
    raw_stream: BinaryIO
    http_headers: StatusAndHeaders | None
    content_type: str
    length: int
    def content_stream(self) -> BinaryIO: ...
