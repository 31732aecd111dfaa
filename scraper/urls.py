"""URL hygiene: usable URLs, tracking parameters out (`strip_tracking`: the key an article is seen under), sites and
registered domains."""

from __future__ import annotations

import re
from urllib.parse import unquote_plus, urljoin, urlsplit

from tld import get_fld, get_tld

# Query parameters that say how a reader arrived, never which page they get: campaign tags (utm_*, Adobe, AT
# Internet, Webtrends, HubSpot, Mailchimp...), click ids of ad and social platforms, and referral markers
# (`ref`, `src`, `cmpid`, `ito`, `CMP`, `INTCMP`...), after the ClearURLs rules and what news sites append to
# shared links. Parameters that select content (`id`, `p`, `page`, `story`, `s`, `source`, `cid`) never match.
_TRACKING = re.compile(
    r"^(?:utm_\w+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|ttclid|srsltid|rb_clickid|"
    r"mc_cid|mc_eid|mc_tc|_ga|_gl|ga_\w+|igshid|igsh|at_\w+|ns_\w+|xtor|cmpid|cmp|intcmp|ocid|ncid|ito|ico|spm|"
    r"s_cid|wt_mc|wt_zmc|wt\.mc_id|wt\.\w+|wtrid|__twitter_impression|itm_\w+|otm_\w+|hmb_\w+|"
    r"fb_action_\w+|fb_source|fb_ref|action_(?:object|type|ref)_map|_openstat|"
    r"ref|ref_?src|ref_url|referrer|referer|src|soc_src|soc_trk|trk|trkcampaign|"
    r"smid|sr_share|taid|guccounter|guce_referrer\w*|mkt_tok|_hsenc|_hsmi|__hssc|__hstc|__hsfp|hsctatracking|"
    r"oly_enc_id|oly_anon_id|vero_\w+|wickedid|ml_subscriber\w*|rssfeed|from_rss|icid|int_campaign|"
    r"tracking_source|echobox|mbid)$",
    re.IGNORECASE,
)
_DEFAULT_PORTS = {("http", 80), ("https", 443)}
# Hosts that give each customer a subdomain but are not in the Public Suffix List's private section (which
# `tld` already honours: blogspot.com, github.io, netlify.app, wixsite.com...): one customer is one site.
SHARED_HOSTS = frozenset(
    {
        "wordpress.com",
        "substack.com",
        "medium.com",
        "tumblr.com",
        "ghost.io",
        "livejournal.com",
        "typepad.com",
        "weebly.com",
        "hashnode.dev",
        "beehiiv.com",
        "over-blog.com",
        "canalblog.com",
        "hatenablog.com",
        "tistory.com",
        "squarespace.com",
        "webflow.io",
        "mystrikingly.com",
        "jimdosite.com",
        "blog.jp",
        "exblog.jp",
        "home.blog",
        "edublogs.org",
        "blogs.com",
        "dreamwidth.org",
        "wikidot.com",
    }
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


def host_and_path(url: str) -> tuple[str, str]:
    """(host, path) of a URL, host lower-cased; empty strings where it cannot be parsed."""
    try:
        parts = urlsplit(url)
        return parts.hostname or "", parts.path
    except ValueError:
        return "", ""


def site_of(url: str) -> str:
    """The site a URL belongs to, as records name it: its host without a leading `www.`; "" when it has none."""
    return host_and_path(url)[0].removeprefix("www.")


def is_tracking(parameter: str) -> bool:
    """Whether a raw `name=value` query piece is a tracking parameter (its name percent-decoded to compare)."""
    name = unquote_plus(parameter.split("=", 1)[0], errors="replace")
    return bool(_TRACKING.match(name.strip()))


def _host_and_port(netloc: str) -> str:
    """The `host[:port]` part of a netloc, user info dropped, host lower-cased (IPv6 brackets kept)."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host, _, rest = hostport.partition("]")
        return f"{host.lower()}]{rest}"
    host, colon, port = hostport.partition(":")
    return f"{host.lower()}{colon}{port}"


def strip_tracking(url: str) -> str:
    """`url` without its fragment, its user info and its tracking parameters (utm_*, fbclid, ref...), scheme
    and host lower-cased and a default port dropped; everything else is kept byte for byte (the query is
    split on `&`, never decoded: `?/archives/2026/x`, `?flag`, `?q=%E9t%E9` stay as they are).
    Never raises: a URL urllib cannot parse (`http://[broken`, a port out of range) comes back as it is."""
    raw = url.split("#", 1)[0].strip()  # whitespace before a fragment goes too, so that stripping is idempotent
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError:
        return raw
    if not parts.netloc:
        return raw
    netloc = _host_and_port(parts.netloc)
    if port is None or (parts.scheme.lower(), port) in _DEFAULT_PORTS:
        netloc = netloc.rpartition(":")[0] if netloc.rfind(":") > netloc.rfind("]") else netloc
    else:
        netloc = netloc[: netloc.rfind(":")] + f":{port}"
    query = "&".join(piece for piece in parts.query.split("&") if not is_tracking(piece)) if parts.query else ""
    return f"{parts.scheme.lower()}://{netloc}{parts.path or '/'}{'?' + query if query.strip('&') else ''}"


def _host(url_or_host: str) -> str:
    """The host of a URL, or of a `host[:port]`, lower-cased and without a trailing dot."""
    host = host_and_path(url_or_host)[0] if "//" in url_or_host else url_or_host.split(":")[0]
    return host.lower().rstrip(".")


def _is_ip_or_local(host: str) -> bool:
    return not host or host.replace(".", "").isdigit() or ":" in host or "." not in host


def registered_domain(url_or_host: str) -> str:
    """`www.bbc.co.uk` -> `bbc.co.uk`; a customer's host on a shared host (the Public Suffix List's private
    section: `x.blogspot.com`, `x.github.io`; and SHARED_HOSTS: `x.wordpress.com`) is its own domain.
    IP addresses and local names are returned as they are."""
    host = _host(url_or_host)
    if _is_ip_or_local(host):
        return host
    if shared := next((s for s in SHARED_HOSTS if host.endswith("." + s)), None):
        return ".".join(host.split(".")[-(shared.count(".") + 2) :])
    return get_fld(host, fix_protocol=True, fail_silently=True) or ".".join(host.split(".")[-2:])


def site_host(url: str) -> str:
    """The host a site given by URL is limited to: its own host, with a leading `www.` dropped when what is
    left is a registered domain (`www.bbc.co.uk` -> `bbc.co.uk`, but `www.wordpress.com` stays itself)."""
    host = _host(url)
    bare = host.removeprefix("www.")
    if bare == host or _is_ip_or_local(bare) or bare in SHARED_HOSTS:
        return host
    if registered_domain(bare) != bare or get_tld(bare, fix_protocol=True, fail_silently=True) == bare:
        return host
    return bare
