"""Date strings from pages to ISO 8601, keeping the page's own UTC offset."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from dateutil import parser as dateutil_parser

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_]|$)")
_MIN_YEAR, _MAX_YEAR = 1990, 2100


def _fmt(dt: datetime | date) -> str:
    return dt.isoformat(timespec="seconds") if isinstance(dt, datetime) else dt.isoformat()


def _plausible(dt: datetime | date) -> bool:
    return _MIN_YEAR <= dt.year <= _MAX_YEAR


def _from_offset(sign: str, hhmm: str) -> timezone:
    minutes = int(hhmm[:2]) * 60 + int(hhmm[-2:])
    return timezone(timedelta(minutes=minutes if sign == "+" else -minutes))


def parse_date(value: object) -> str | None:
    """`value` as ISO 8601 (`2026-02-03T10:00:00+01:00`, or `2026-02-03` for a bare date), else None.

    Accepts ISO 8601 in its common variants, RFC 2822 (feeds), compact `20260203T1000`, epoch seconds
    and the written forms dateutil knows. Ambiguous numeric dates (`03/02/2026`) are refused rather
    than guessed. A datetime with no offset stays naive: an offset is never invented.
    """
    if value is None:
        return None
    text = " ".join(str(value).split())
    if not text or len(text) > 64:
        return None
    if _ISO_DATE.match(text):
        try:
            return date.fromisoformat(text).isoformat() if _plausible(date.fromisoformat(text)) else None
        except ValueError:
            return None
    parsed = _parse_datetime(text)
    return _fmt(parsed) if parsed is not None and _plausible(parsed) else None


def _parse_datetime(text: str) -> datetime | date | None:
    iso = text.replace(" ", "T", 1) if re.match(r"^\d{4}-\d{2}-\d{2} \d", text) else text
    try:
        return datetime.fromisoformat(iso.replace("z", "Z"))
    except ValueError:
        pass
    if m := _COMPACT.match(text):
        y, mo, d, hh, mi, ss, tz = m.groups()
        try:
            tzinfo = None if not tz else UTC if tz == "Z" else _from_offset(tz[0], tz[1:].replace(":", ""))
            return datetime(int(y), int(mo), int(d), int(hh or 0), int(mi or 0), int(ss or 0), tzinfo=tzinfo)
        except ValueError:
            return None
    if _EPOCH.match(text):
        seconds = int(text[:10])
        return datetime.fromtimestamp(seconds, tz=UTC)
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    if re.match(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", text):
        return None  # 03/02/2026: day-first or month-first cannot be told; no guess
    try:
        first = dateutil_parser.parse(text, default=datetime(2000, 1, 1, 0, 0))
        second = dateutil_parser.parse(text, default=datetime(2001, 2, 2, 1, 1))
    except (ValueError, OverflowError, TypeError):
        return None
    if first.date() != second.date():
        return None  # year, month or day missing: not a date we can state
    return first if first == second else first.date()


def iso_moment(value: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or time (as records and sitemaps state them) as an aware datetime, UTC when it states no
    offset; a bare date is its first second, or its last with `end_of_day`. None when it is not ISO 8601."""
    try:
        moment = datetime.fromisoformat(f"{value}T23:59:59" if end_of_day and "T" not in value else value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def date_from_url(url: str) -> str | None:
    """The `/2026/02/03/` date in an article URL, as `2026-02-03`, else None."""
    m = _URL_DATE.search(url)
    if not m:
        return None
    try:
        return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
    except ValueError:
        return None


_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan januar janvier enero gennaio janeiro januari jänner ocak styczeń",
        "february feb februar février fevrier febrero febbraio fevereiro februari şubat luty",
        "march mar märz maerz mars marzo março maart mart marzec",
        "april apr avril abril aprile nisan kwiecień",
        "may mai mayo maggio maio mei mayıs maj",
        "june jun juni juin junio giugno junho haziran czerwiec",
        "july jul juli juillet julio luglio julho temmuz lipiec",
        "august aug août aout agosto augustus ağustos sierpień",
        "september sep sept septembre septiembre settembre setembro eylül wrzesień",
        "october oct oktober octobre octubre ottobre outubro okt ekim październik",
        "november nov novembre noviembre novembro kasım listopad",
        "december dec dezember décembre decembre diciembre dicembre dezembro dez aralık grudzień",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number
_MONTH = "|".join(sorted(map(re.escape, _MONTHS), key=len, reverse=True))
_TIME = r"(?:\D{0,12}?(?P<h>[01]?\d|2[0-3])[:.h](?P<mi>[0-5]\d)(?:[:.][0-5]\d)?\s*(?P<ampm>[ap]\.?\s?m\.?)?)?"
_VISIBLE = (
    # 13. Mai 2026 um 15:44 / 13 May 2026, 15:44 / 3 de mayo de 2026
    re.compile(
        rf"\b(?P<d>[0-3]?\d)\.?\s*(?:de\s+)?(?P<mon>{_MONTH})\.?,?\s*(?:de\s+)?(?P<y>(?:19|20)\d\d){_TIME}",
        re.IGNORECASE,
    ),
    # May 13, 2026 3:44 PM
    re.compile(
        rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d){_TIME}", re.IGNORECASE
    ),
    # 13.05.2026, 15:44 Uhr (dotted dates are day first wherever they are written)
    re.compile(rf"(?<![\d.])(?P<d>[0-3]?\d)\.(?P<m>[01]?\d)\.(?P<y>(?:19|20)\d\d){_TIME}"),
    re.compile(rf"(?<![\d.])(?P<d>[0-3]\d)\.(?P<m>[01]\d)\.(?P<y>\d\d)(?![\d.]){_TIME}"),  # 25.04.24
    # 2026.01.29 18:40 / 2026-01-29 18:40 / 2026年1月29日 18:40
    re.compile(rf"\b(?P<y>(?:19|20)\d\d)[./年-]\s?(?P<m>[01]?\d)[./月-]\s?(?P<d>[0-3]?\d)日?{_TIME}"),
)


def parse_visible_date(text: str) -> str | None:
    """A date (and time) as a page shows it in words or dotted digits, in several languages, else None.

    `Veröffentlicht am 13. Mai 2026 um 15:44` -> `2026-05-13T15:44:00`. No offset is invented; slashed
    numeric dates (`03/02/2026`) stay refused, dotted ones are read day first.
    """
    text = " ".join(text.split())
    if not text or len(text) > 120:
        return None
    for pattern in _VISIBLE:
        m = pattern.search(text)
        if not m:
            continue
        groups = m.groupdict()
        month = _MONTHS.get(groups["mon"].casefold().rstrip(".")) if groups.get("mon") else int(groups["m"])
        year = int(groups["y"]) + (2000 if len(groups["y"]) == 2 else 0)
        try:
            day = date(year, month or 0, int(groups["d"]))
        except ValueError:
            continue
        if not _plausible(day):
            continue
        if groups.get("h") is None:
            return day.isoformat()
        hour = int(groups["h"]) % 24
        ampm = (groups.get("ampm") or "").replace(".", "").replace(" ", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        return _fmt(datetime(day.year, day.month, day.day, hour, int(groups["mi"])))
    return None
