class StatusAndHeaders:
    statusline: str
    headers: list[tuple[str, str]]
    protocol: str
    def __init__(
        self,
        statusline: str,
        headers: list[tuple[str, str]],
        protocol: str = "",
        total_len: int = 0,
        is_http_request: bool = False,
    ) -> None: ...
    def get_header(self, name: str, default_value: str | None = None) -> str | None: ...
    def get_statuscode(self) -> str: ...

class StatusAndHeadersParserException(Exception): ...
