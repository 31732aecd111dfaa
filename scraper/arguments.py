"""Spider arguments (`-a name=value`): parsed and checked before a crawl starts."""

from __future__ import annotations

from pathlib import Path

from w3lib.url import safe_url_string

from scraper.urls import usable_url


class SpiderArgumentError(ValueError):
    """A spider argument that cannot be used; the message is one readable line."""


def reject_unknown(arguments: dict[str, str], usage: str) -> None:
    """SpiderArgumentError for the first `-a` name a spider does not take (scrapyd's `_job`, `_version` pass)."""
    unknown = sorted(k for k in arguments if not k.startswith("_"))
    if unknown:
        raise SpiderArgumentError(f"unknown argument {unknown[0]!r}; use {usage}")


def http_url(value: str, name: str = "url") -> str:
    """`value` as a safe absolute http(s) URL (scraper.urls.usable_url), or SpiderArgumentError."""
    url = usable_url(value)
    if url is None:  # also `http://[broken` and `http://host:99999/`
        raise SpiderArgumentError(f"{name}={value.strip()!r} is not an http(s) URL")
    return safe_url_string(url)


def urls_from_file(path: str) -> list[str]:
    """The URLs of a file, one per line; blank lines and `#` comments skipped."""
    file = Path(path)
    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise SpiderArgumentError(f"urls_file={path!r}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpiderArgumentError(f"urls_file={path!r}: cannot read it ({exc})") from None
    urls = []
    for number, line in enumerate(lines, 1):
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                urls.append(http_url(line, name=f"{path}:{number}"))
            except SpiderArgumentError as exc:
                raise SpiderArgumentError(str(exc)) from None
    if not urls:
        raise SpiderArgumentError(f"urls_file={path!r} lists no URL")
    return urls
