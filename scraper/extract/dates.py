"""Date strings from pages to ISO 8601, keeping the page's own UTC offset."""

from __future__ import annotations

import contextlib
import re
import warnings
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as dateutil_parser

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})(?:T?(\d{2})(\d{2})(\d{2})?)?(Z|[+-]\d{2}:?\d{2})?$")
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_URL_DATE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])[/-](0?[1-9]|[12]\d|3[01])(?:/|[-_]|$)")
_URL_MONTH = re.compile(r"/((?:19|20)\d{2})/(0?[1-9]|1[0-2])/")
_MIN_YEAR, _MAX_YEAR = 1990, 2100

# Time-zone abbreviations as news pages write them after a time, to their UTC offset (hours). The choices:
# - one reading per abbreviation, the one news pages mean overwhelmingly: BST is British Summer Time
#   (+01:00), not Bangladesh; MST/MDT are US Mountain, not Malaysia; CDT is US Central Daylight, not Cuba;
#   ADT is Atlantic Daylight (Arabia keeps no daylight time); IDT is Israel Daylight;
# - German MEZ/MESZ are CET/CEST; UT, UTC, GMT and Z are +00:00;
# - an abbreviation that several zones use alike is in AMBIGUOUS_ZONES and gets no offset: the time stays
#   the page's wall clock (IST: India +05:30, Ireland +01:00, Israel +02:00; CST: US Central -06:00, China
#   +08:00, Cuba; AST: Atlantic -04:00, Arabia +03:00; GST: Gulf +04:00, South Georgia; SST: Samoa,
#   Singapore; ECT: Ecuador, Eastern Caribbean; MET: Middle European, Middle East);
# - ET, CT, MT and PT (US time without standard/daylight) follow the US zone's rules on the date stated.
_ZONE_HOURS: dict[str, float] = {
    **dict.fromkeys(("UT", "UTC", "GMT", "Z", "WET"), 0),
    **dict.fromkeys(("BST", "WEST", "CET", "MEZ", "WAT"), 1),
    **dict.fromkeys(("CEST", "MESZ", "EET", "CAT", "SAST"), 2),
    **dict.fromkeys(("EEST", "MSK", "EAT", "IDT"), 3),
    "PKT": 5,
    "NPT": 5.75,
    **dict.fromkeys(("WIB", "ICT"), 7),
    **dict.fromkeys(("SGT", "HKT", "PHT", "MYT", "WITA", "AWST"), 8),
    **dict.fromkeys(("JST", "KST", "WIT"), 9),
    "ACST": 9.5,
    "AEST": 10,
    "ACDT": 10.5,
    "AEDT": 11,
    "NZST": 12,
    "NZDT": 13,
    "NDT": -2.5,
    **dict.fromkeys(("ADT", "BRT", "ART"), -3),
    "NST": -3.5,
    "EDT": -4,
    **dict.fromkeys(("EST", "CDT"), -5),
    **dict.fromkeys(("MDT",), -6),
    **dict.fromkeys(("MST", "PDT"), -7),
    **dict.fromkeys(("PST", "AKDT"), -8),
    "AKST": -9,
    "HST": -10,
}
AMBIGUOUS_ZONES = frozenset({"IST", "CST", "AST", "GST", "SST", "ECT", "MET"})
_US_ZONES = {"ET": "America/New_York", "CT": "America/Chicago", "MT": "America/Denver", "PT": "America/Los_Angeles"}


def _zone_table() -> dict[str, tzinfo]:
    table: dict[str, tzinfo] = {name: timezone(timedelta(hours=hours)) for name, hours in _ZONE_HOURS.items()}
    for name, key in _US_ZONES.items():
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):  # no zone database: ET stays wall clock
            table[name] = ZoneInfo(key)
    return table


#: Known abbreviation -> its zone (a fixed offset, or the US zone for ET/CT/MT/PT).
ZONES = _zone_table()
#: What email.utils reads itself (RFC 2822); any other named zone goes through our table.
_RFC2822_ZONES = frozenset({"UT", "UTC", "GMT", "Z", "EST", "EDT", "CDT", "MST", "MDT", "PST", "PDT", "ADT"})
_RFC2822 = re.compile(
    r"^(?:[A-Za-z]{3},?\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d\d(?::\d\d)?(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}))?$"
)
_UPPER_WORD = re.compile(r"(?<![A-Za-z])[A-Z]{1,5}(?![A-Za-z])")
# GMT+3 / UTC-05:30 mean UTC plus the offset (dateutil would read them the POSIX way round)
_GMT_OFFSET = re.compile(r"(?<![A-Za-z])(?:GMT|UTC)\s?([+-])(\d{1,2})(?::?(\d\d))?(?!\d)")
_NUMERIC_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def zone(name: str | None) -> tzinfo | None:
    """The zone a page's abbreviation (`EDT`, `(CEST)`), `GMT+2` or `+0100` states; None when it is unknown
    or ambiguous (`IST`, `CST`): such a time is kept as the page's wall clock, never given a guessed offset."""
    text = (name or "").strip("() ")
    if found := ZONES.get(text.upper() if len(text) <= 5 else ""):
        return found
    m = _NUMERIC_OFFSET.match(_GMT_OFFSET.sub(_offset_text, text))
    return _from_offset(m[1], m[2] + m[3]) if m else None


def _offset_text(m: re.Match[str]) -> str:
    return f"{m[1]}{int(m[2]):02d}:{m[3] or '00'}"


def _dateutil_zone(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's `tzinfos`: every abbreviation has an answer (None when unknown or ambiguous), so dateutil
    never falls back to the machine's local zone nor warns."""
    if name and (name in AMBIGUOUS_ZONES or name in ZONES):
        return ZONES.get(name)
    return timezone(timedelta(seconds=offset)) if offset is not None and not name else None


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
    text = _GMT_OFFSET.sub(lambda m: " " + _offset_text(m), text).strip()
    if len(text) == 8 and text.isdigit():  # 20260203: a day, not its midnight
        text = f"{text[:4]}-{text[4:6]}-{text[6:]}"
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
    named = {w for w in _UPPER_WORD.findall(text) if w in ZONES or w in AMBIGUOUS_ZONES}
    # email.utils reads RFC 2822 only (it takes "PM" for a zone), gives CST -06:00 and drops BST: not those
    if _RFC2822.match(text) and named <= _RFC2822_ZONES:
        try:
            return parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            pass
    if re.match(r"^\d{1,2}[./-]\d{1,2}[./-]\d{2,4}", text):
        return None  # 03/02/2026: day-first or month-first cannot be told; no guess
    try:
        with warnings.catch_warnings():  # a parser's warning is ours to handle, never the user's terminal's
            warnings.simplefilter("ignore")
            first = dateutil_parser.parse(text, default=datetime(2000, 1, 1, 0, 0), tzinfos=_dateutil_zone)
            second = dateutil_parser.parse(text, default=datetime(2001, 2, 2, 1, 1), tzinfos=_dateutil_zone)
    except (ValueError, OverflowError, TypeError):
        return None
    if first.date() != second.date():
        return None  # year, month or day missing: not a date we can state
    return first if first == second else first.date()


def zoned(stated: str, shown: str | None) -> str:
    """`stated` (a structured date and time without an offset) given the offset of `shown` (the date the page
    shows, with a zone: "8:26 PM ET") when both are the same moment: the same wall clock, or `stated` is that
    moment in UTC (publishers' meta tags often state UTC without saying so); its seconds kept. Else `stated`
    unchanged."""
    try:
        naive, aware = datetime.fromisoformat(stated), datetime.fromisoformat(shown or "")
    except ValueError:
        return stated
    if naive.tzinfo is not None or aware.tzinfo is None or "T" not in stated:
        return stated
    minute = naive.replace(second=0, microsecond=0)
    if minute == aware.replace(tzinfo=None, second=0, microsecond=0):
        return _fmt(naive.replace(tzinfo=aware.tzinfo))
    if minute == aware.astimezone(UTC).replace(tzinfo=None, second=0, microsecond=0):
        return _fmt(naive.replace(tzinfo=UTC).astimezone(aware.tzinfo))
    return stated


def iso_moment(value: str, *, end_of_day: bool = False) -> datetime | None:
    """An ISO 8601 date or time (as records and sitemaps state them) as an aware datetime, UTC when it states no
    offset; a bare date is its first second, or its last with `end_of_day`. None when it is not ISO 8601."""
    try:
        moment = datetime.fromisoformat(f"{value}T23:59:59" if end_of_day and "T" not in value else value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def month_from_url(url: str) -> tuple[int, int] | None:
    """The (year, month) of an article URL's `/2026/02/` (also the start of `/2026/02/03/`), else None."""
    m = _URL_MONTH.search(url)
    return (int(m[1]), int(m[2])) if m else None


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
# the zone after the time: an abbreviation (`EDT`, `(CEST)`, `Uhr MESZ`), `GMT+2`, `UTC-05:30` or `+0100`
_TIME_ZONE = (
    r"(?:\s*(?:Uhr\s*)?\(?(?P<tz>(?-i:(?:GMT|UTC)\s?[+-]\d{1,2}(?::?\d\d)?(?!\d)|[A-Z]{1,5}(?![A-Za-z]))"
    r"|[+-]\d\d:?\d\d(?!\d)))?"
)
_TIME = (
    r"(?:\D{0,12}?(?P<h>[01]?\d|2[0-3])[:.h](?P<mi>[0-5]\d)(?:[:.][0-5]\d)?\s*(?P<ampm>[ap]\.?\s?m\.?)?"
    rf"{_TIME_ZONE})?"
)
_VISIBLE = (
    # 13. Mai 2026 um 15:44 / 13 May 2026, 15:44 / 3 de mayo de 2026
    re.compile(
        rf"\b(?P<d>[0-3]?\d)(?:st|nd|rd|th|\.)?\s*(?:de\s+)?(?P<mon>{_MONTH})\.?,?\s*(?:de\s+)?(?P<y>(?:19|20)\d\d){_TIME}",
        re.IGNORECASE,
    ),
    # May 13, 2026 3:44 PM
    re.compile(
        rf"\b(?P<mon>{_MONTH})\.?\s+(?P<d>[0-3]?\d)(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d){_TIME}", re.IGNORECASE
    ),
    # 13.05.2026, 15:44 Uhr (dotted dates are day first wherever they are written)
    re.compile(rf"(?<![\d.])(?P<d>[0-3]?\d)\.(?P<m>[01]?\d)\.(?P<y>(?:19|20)\d\d){_TIME}", re.IGNORECASE),
    re.compile(rf"(?<![\d.])(?P<d>[0-3]\d)\.(?P<m>[01]\d)\.(?P<y>\d\d)(?![\d.]){_TIME}", re.IGNORECASE),  # 25.04.24
    # 2026.01.29 18:40 / 2026-01-29 18:40 / 2026年1月29日 18:40
    re.compile(rf"\b(?P<y>(?:19|20)\d\d)[./年-]\s?(?P<m>[01]?\d)[./月-]\s?(?P<d>[0-3]?\d)日?{_TIME}", re.IGNORECASE),
    # 07/28/2012 / 08-17-2012: month or day first (see `_numeric_day`)
    re.compile(
        rf"(?<![\d./-])(?P<a>[0-3]?\d)(?P<sep>[/-])(?P<b>[0-3]?\d)(?P=sep)(?P<y>(?:19|20)\d\d)(?![\d/-]){_TIME}",
        re.IGNORECASE,
    ),
)


_WEEKDAYS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "monday mon montag lundi lunes lunedì maandag segunda",
        "tuesday tue tues dienstag mardi martes martedì dinsdag terça",
        "wednesday wed mittwoch mercredi miércoles mercoledì woensdag quarta",
        "thursday thu thur thurs donnerstag jeudi jueves giovedì donderdag quinta",
        "friday fri freitag vendredi viernes venerdì vrijdag sexta",
        "saturday sat samstag samedi sábado sabato zaterdag",
        "sunday sun sonntag dimanche domingo domenica zondag",
    )
):
    for _name in _names.split():
        _WEEKDAYS[_name] = _number
# the weekday a page writes just before a numeric date ("Tuesday, 11.06.2012", "Mo, 08.09.2012")
_WEEKDAY_BEFORE = re.compile(rf"\b({'|'.join(sorted(_WEEKDAYS, key=len, reverse=True))})\.?,?\s*$", re.IGNORECASE)


def _readings(first: int, second: int, year: int) -> list[date]:
    """The days `first/second/year` can be: day first, then month first (each only when it is a date)."""
    out: list[date] = []
    for day, month in ((first, second), (second, first)):
        with contextlib.suppress(ValueError):
            if (found := date(year, month, day)) not in out:
                out.append(found)
    return out


def _numeric_day(
    first: int, second: int, year: int, *, weekday: int | None, known: tuple[int, int] | None, day_first: bool
) -> date | None:
    """The day a numeric date means. A stated weekday, then the (year, month) the URL states, rule out readings
    (a check that rules out all is ignored): "Tuesday, 11.06.2012" is 6 November, `08/09/2012` under `/2012/08/`
    is 9 August. Of what stays, a dotted date (`day_first`) is read day first; a slashed one only when one
    reading is left (`07/28/2012`): `03/02/2026` alone is never guessed."""
    readings = _readings(first, second, year)
    for keep in (
        lambda d: weekday is None or d.weekday() == weekday,
        lambda d: known is None or (d.year, d.month) == known,
    ):
        if len(readings) > 1 and (kept := [d for d in readings if keep(d)]):
            readings = kept
    return readings[0] if readings and (day_first or len(readings) == 1) else None


def _day(groups: dict[str, str | None], before: str, known: tuple[int, int] | None) -> date | None:
    """The day a `_VISIBLE` match states (`before`: the text before it, for a weekday), None when it is not a
    (plausible) date."""
    year = int(groups["y"] or 0) + (2000 if len(groups["y"] or "") == 2 else 0)
    name = (groups.get("mon") or "").casefold().rstrip(".")
    found: date | None
    if name:
        try:
            found = date(year, _MONTHS.get(name) or 0, int(groups["d"] or 0))
        except ValueError:
            return None
    else:
        stated = _WEEKDAY_BEFORE.search(before[-16:])
        weekday = _WEEKDAYS[stated[1].casefold()] if stated else None
        slashed = groups.get("a") is not None
        first, second = (groups["a"], groups["b"]) if slashed else (groups["d"], groups["m"])
        found = _numeric_day(
            int(first or 0), int(second or 0), year, weekday=weekday, known=known, day_first=not slashed
        )
    return found if found is not None and _plausible(found) else None


def parse_visible_date(text: str, *, known_month: tuple[int, int] | None = None) -> str | None:
    """A date (and time) as a page shows it in words or digits, in several languages, else None.

    `Veröffentlicht am 13. Mai 2026 um 15:44` -> `2026-05-13T15:44:00`; a zone after the time gives its offset
    (`3:44 PM EDT` -> `-04:00`, see `zone`). No offset is invented. Numeric dates: see `_numeric_day`;
    `known_month` is the (year, month) the page's URL states.
    """
    text = " ".join(text.split())
    if not text or len(text) > 120:
        return None
    # the first date the text shows, whichever way it is written ("updated 7/23/2012 8:26 PM ET 2012-07-24T00:26")
    for m in sorted(filter(None, (pattern.search(text) for pattern in _VISIBLE)), key=lambda m: m.start()):
        groups = m.groupdict()
        day = _day(groups, text[: m.start()], known_month)
        if day is None:
            continue
        if groups.get("h") is None:
            return day.isoformat()
        hour = int(groups["h"]) % 24
        ampm = (groups.get("ampm") or "").replace(".", "").replace(" ", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        return _fmt(datetime(day.year, day.month, day.day, hour, int(groups["mi"]), tzinfo=zone(groups.get("tz"))))
    return None
