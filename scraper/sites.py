"""Which sites to crawl: `sites.toml`, checked whole before the first request."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from scraper.arguments import SpiderArgumentError, http_url
from scraper.urls import host_and_path, registered_domain, site_host, site_of

_Number = TypeVar("_Number", int, float)
_ID = re.compile(r"^[a-z0-9](?:[a-z0-9_-]|\.(?!\.)){0,63}$")
_KEYS = {
    "id",
    "start_urls",
    "feeds",
    "sitemaps",
    "allowed_domains",
    "include",
    "exclude",
    "max_age_days",
    "max_pages",
    "boilerplate_patterns",
}


@dataclass
class SiteConfig:
    """One site to crawl and its limits."""

    id: str
    start_urls: list[str]
    feeds: list[str] = field(default_factory=list)
    sitemaps: list[str] = field(default_factory=list)
    allowed_domains: list[str] = field(default_factory=list)
    include: list[re.Pattern[str]] = field(default_factory=list)
    exclude: list[re.Pattern[str]] = field(default_factory=list)
    max_age_days: float | None = None
    max_pages: int | None = None
    boilerplate_patterns: list[str] = field(default_factory=list)

    def allows(self, url: str) -> bool:
        """Whether `url` is on one of the site's domains and passes its include/exclude patterns."""
        host = host_and_path(url)[0]
        if not any(host == d or host.endswith("." + d) for d in self.allowed_domains):
            return False
        if self.exclude and any(p.search(url) for p in self.exclude):
            return False
        return not self.include or any(p.search(url) for p in self.include)


def site_id_for(url: str) -> str:
    """A site id from a URL's host: `https://www.bbc.co.uk/` -> `bbc.co.uk`."""
    return re.sub(r"[^a-z0-9._-]+|\.{2,}", "-", site_of(url))[:64].strip("-_.") or "site"


def site_from_url(url: str) -> SiteConfig:
    """The configuration of an ad-hoc `-a site=URL` crawl: that host (and its subdomains), no other limits.
    Not the registered domain: `someblog.wordpress.com` must not let in every other wordpress.com blog."""
    start = http_url(url, "site")
    return SiteConfig(id=site_id_for(start), start_urls=[start], allowed_domains=[site_host(start)])


def _problem(where: str, key: str, message: str) -> SpiderArgumentError:
    return SpiderArgumentError(f"{where}: {key}: {message}")


def _strings(where: str, key: str, value: object) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise _problem(where, key, "must be a list of non-empty strings")
    return [v.strip() for v in value]


def _urls(where: str, key: str, value: object) -> list[str]:
    out = []
    for url in _strings(where, key, value):
        try:
            out.append(http_url(url, key))
        except SpiderArgumentError:
            raise _problem(where, key, f"{url!r} is not an http(s) URL") from None
    return out


def _patterns(where: str, key: str, value: object) -> list[re.Pattern[str]]:
    out = []
    for pattern in _strings(where, key, value):
        try:
            out.append(re.compile(pattern))
        except re.error as exc:
            raise _problem(where, key, f"bad regular expression {pattern!r} ({exc})") from None
    return out


def _number(where: str, key: str, value: object, kind: type[_Number]) -> _Number:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0 or (kind is int and value % 1):
        raise _problem(where, key, f"must be a positive {'whole ' if kind is int else ''}number, not {value!r}")
    return kind(value)


def parse_site(raw: object, where: str) -> SiteConfig:
    """One `[[site]]` table as a SiteConfig; SpiderArgumentError naming the site and the key otherwise."""
    if not isinstance(raw, dict):
        raise SpiderArgumentError(f"{where}: must be a table")
    site_id = raw.get("id")
    if not isinstance(site_id, str) or not _ID.match(site_id):
        raise _problem(where, "id", f"must be lower-case letters, digits, '.', '-' or '_', not {site_id!r}")
    where = f"{where} (id {site_id!r})"
    if unknown := sorted(set(raw) - _KEYS):
        raise _problem(where, unknown[0], f"unknown key; known keys: {', '.join(sorted(_KEYS))}")
    start = _urls(where, "start_urls", raw.get("start_urls", []))
    feeds = _urls(where, "feeds", raw.get("feeds", []))
    sitemaps = _urls(where, "sitemaps", raw.get("sitemaps", []))
    if not (start or feeds or sitemaps):
        raise _problem(where, "start_urls", "give at least one of start_urls, feeds or sitemaps")
    domains = [d.lower().lstrip(".") for d in _strings(where, "allowed_domains", raw.get("allowed_domains", []))]
    domains = domains or sorted({registered_domain(u) for u in start + feeds + sitemaps})
    config = SiteConfig(
        id=site_id,
        start_urls=start,
        feeds=feeds,
        sitemaps=sitemaps,
        allowed_domains=domains,
        include=_patterns(where, "include", raw.get("include", [])),
        exclude=_patterns(where, "exclude", raw.get("exclude", [])),
        boilerplate_patterns=[
            p.pattern for p in _patterns(where, "boilerplate_patterns", raw.get("boilerplate_patterns", []))
        ],
    )
    if "max_age_days" in raw:
        config.max_age_days = _number(where, "max_age_days", raw["max_age_days"], float)
    if "max_pages" in raw:
        config.max_pages = _number(where, "max_pages", raw["max_pages"], int)
    return config


def load_sites(path: str | Path) -> list[SiteConfig]:
    """Every site of a sites.toml file, validated; SpiderArgumentError with a one-line reason otherwise."""
    file = Path(path)
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SpiderArgumentError(f"sites={str(path)!r}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpiderArgumentError(f"sites={str(path)!r}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpiderArgumentError(f"{path}: not valid TOML ({exc})") from None
    if set(data) - {"site"}:
        raise SpiderArgumentError(f"{path}: unknown top-level key {sorted(set(data) - {'site'})[0]!r}; use [[site]]")
    raw_sites = data.get("site", [])
    if not isinstance(raw_sites, list) or not raw_sites:
        raise SpiderArgumentError(f"{path}: no [[site]] table")
    sites = [parse_site(raw, f"{path}: site {n}") for n, raw in enumerate(raw_sites, 1)]
    seen: set[str] = set()
    for site in sites:
        if site.id in seen:
            raise SpiderArgumentError(f"{path}: site id {site.id!r} appears twice")
        seen.add(site.id)
    return sites
