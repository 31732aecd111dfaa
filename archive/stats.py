"""Counts per day and per site: a terminal bar chart and a self-contained HTML report."""

from __future__ import annotations

import html
import math
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .reader import Reader

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
BLOCKS = " ▏▎▍▌▋▊▉█"


@dataclass
class Stats:
    """Records per day per site."""

    per_day: dict[str, Counter[str]] = field(default_factory=dict)

    @property
    def sites(self) -> list[str]:
        """Sites, most records first."""
        return [s for s, _ in sorted(self.per_site.items(), key=lambda kv: (-kv[1], kv[0]))]

    @property
    def per_site(self) -> Counter[str]:
        """Total records per site."""
        total: Counter[str] = Counter()
        for c in self.per_day.values():
            total.update(c)
        return total

    @property
    def total(self) -> int:
        """All records."""
        return sum(sum(c.values()) for c in self.per_day.values())


def collect(archive: Reader, since: str | None = None, until: str | None = None) -> Stats:
    """Count the records of every day partition in [since, until] by site."""
    stats = Stats()
    for day in archive.day_names(since, until):
        counts: Counter[str] = Counter()
        for _, rec in archive.lines(day, day):
            site = rec.get("site")
            counts[site if isinstance(site, str) else "(none)"] += 1
        stats.per_day[day] = counts
    return stats


def bar(value: float, top: float, width: int) -> str:
    """A horizontal bar of ``value``/``top`` of ``width`` cells, in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    return BLOCKS[8] * (eighths // 8) + (BLOCKS[eighths % 8] if eighths % 8 else "")


def render_text(stats: Stats, width: int = 40) -> str:
    """Both tables with bar charts, for the terminal."""
    lines = [f"{stats.total:,} records in {len(stats.per_day):,} days from {len(stats.sites):,} sites", ""]
    sections = [
        ("day", [(d, sum(c.values())) for d, c in stats.per_day.items()]),
        ("site", [(s, stats.per_site[s]) for s in stats.sites]),
    ]
    for title, rows in sections:
        if not rows:
            continue
        label_w = max(len(title), *(len(k) for k, _ in rows))
        top = max(v for _, v in rows)
        num_w = len(f"{top:,}")
        lines.append(f"{title:<{label_w}}  {'records':>{num_w}}")
        lines += [f"{k:<{label_w}}  {v:>{num_w},}  {bar(v, top, width)}" for k, v in rows]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _nice_ceiling(value: int) -> int:
    if value <= 5:
        return 5
    magnitude: int = 10 ** int(math.log10(value))  # int ** int is typed Any (a negative power is a float)
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return int(step * magnitude)
    return 10 * magnitude


def render_svg(stats: Stats) -> str:
    """A stacked bar chart of records per day per site, as inline SVG."""
    days, sites = list(stats.per_day), stats.sites
    color = {s: PALETTE[i % len(PALETTE)] for i, s in enumerate(sites)}
    step = max(14, min(48, 900 // max(1, len(days))))
    left, top, plot_h = 60, 20, 260
    width, height = left + step * len(days) + 20, top + plot_h + 90
    ymax = _nice_ceiling(max((sum(c.values()) for c in stats.per_day.values()), default=0))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
        f'aria-label="Records per day per site" font-family="sans-serif" font-size="11">'
    ]
    for i in range(5):
        v = ymax * i / 4
        y = top + plot_h - plot_h * i / 4
        out.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:,.0f}</text>')
    label_every = max(1, math.ceil(len(days) * 70 / (width - left)))
    for i, day in enumerate(days):
        x = left + i * step + 2
        y = float(top + plot_h)
        for site in sites:
            n = stats.per_day[day].get(site, 0)
            if not n:
                continue
            h = plot_h * n / ymax
            y -= h
            tip = html.escape(f"{day} {site}: {n:,}")
            out.append(
                f'<rect x="{x}" y="{y:.1f}" width="{step - 4}" height="{h:.1f}" '
                f'fill="{color[site]}"><title>{tip}</title></rect>'
            )
        if i % label_every == 0:
            lx, ly = x + (step - 4) / 2, top + plot_h + 12
            out.append(f'<text x="{lx:.1f}" y="{ly}" transform="rotate(45 {lx:.1f} {ly})">{day}</text>')
    ly = height - 14
    x = left
    for site in sites:
        out.append(f'<rect x="{x}" y="{ly - 9}" width="10" height="10" fill="{color[site]}"/>')
        out.append(f'<text x="{x + 14}" y="{ly}">{html.escape(site)}</text>')
        x += 24 + 7 * len(site)
    out.append("</svg>")
    return "\n".join(out)


def render_html(stats: Stats, title: str = "news-archive report") -> str:
    """A self-contained HTML page: summary, chart and table (no scripts, styles or fetches from outside)."""
    sites = stats.sites
    head = "".join(f"<th>{html.escape(s)}</th>" for s in sites)
    rows = []
    for day, counts in stats.per_day.items():
        cells = "".join(f"<td>{counts.get(s, 0):,}</td>" for s in sites)
        rows.append(f"<tr><th>{day}</th>{cells}<td><b>{sum(counts.values()):,}</b></td></tr>")
    totals = "".join(f"<td><b>{stats.per_site[s]:,}</b></td>" for s in sites)
    rows.append(f"<tr><th>total</th>{totals}<td><b>{stats.total:,}</b></td></tr>")
    made = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin-top: 1em; }}
th, td {{ border: 1px solid #ccc; padding: 3px 8px; text-align: right; }}
thead th {{ background: #f4f4f4; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>{stats.total:,} records in {len(stats.per_day):,} days from {len(sites):,} sites. Generated {made}.</p>
<h2>Records per day per site</h2>
{render_svg(stats)}
<table><thead><tr><th>day</th>{head}<th>total</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody></table>
</body></html>
"""
