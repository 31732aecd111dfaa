"""URL hygiene: tracking parameters out, one key per article, registered domains."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from tld import get_fld
from w3lib.url import canonicalize_url

_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|dclid|gbraid|wbraid|msclkid|yclid|mc_cid|mc_eid|_ga|_gl|igshid|"
    r"at_\w+|ns_\w+|xtor|cmpid|ocid|ito|spm|s_cid|wt_mc|wt\.mc_id|wt\.\w+|__twitter_impression|"
    r"ref_src|ref_url|smid|sr_share|taid|guccounter|guce_referrer\w*|mkt_tok|"
    r"oly_enc_id|oly_anon_id|vero_\w+|rssfeed|from_rss|icid|int_campaign)$",
    re.IGNORECASE,
)


def usable_url(url: str, base: str | None = None) -> str | None:
    """`url`, resolved against `base`, if it is an http(s) URL with a host that can be fetched; else None.

    Links on hostile pages and in sitemaps (`http://[broken`, `http://host:99999/`, `javascript:`) make
    urllib raise ValueError: they are skipped here rather than stop the callback that found them.
    """
    try:
        absolute = urljoin(base, url.strip()) if base else url.strip()
        parts = urlsplit(absolute)
        _ = parts.port  # ValueError when not a number or out of range
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return absolute


def strip_tracking(url: str) -> str:
    """`url` without its fragment and tracking parameters (utm_*, fbclid, ...); other parameters keep their order.
    Never raises: a URL urllib cannot parse (`http://[broken`, a port out of range) comes back as it is."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip().split("#", 1)[0]
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k)]
    host = (parts.hostname or "").lower()
    netloc = host if port is None or (parts.scheme, port) in {("http", 80), ("https", 443)} else f"{host}:{port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query, doseq=True), ""))


def url_key(url: str) -> str:
    """The key under which an article URL is seen once: tracking stripped, query sorted, scheme folded."""
    try:
        key = canonicalize_url(strip_tracking(url))
    except ValueError:
        key = strip_tracking(url)
    return key.replace("https://", "http://", 1)


def registered_domain(url_or_host: str) -> str:
    """`www.bbc.co.uk` -> `bbc.co.uk`; IP addresses and local names are returned as they are."""
    host = urlsplit(url_or_host).hostname if "//" in url_or_host else url_or_host.split(":")[0]
    host = (host or "").lower().rstrip(".")
    if not host or host.replace(".", "").isdigit() or ":" in host or "." not in host:
        return host  # an IP address or a local name
    return get_fld(host, fix_protocol=True, fail_silently=True) or ".".join(host.split(".")[-2:])
