"""What search counts, filters and orders on, per record, in memory: one immutable snapshot (a ``View``).

Records are numbered ``k`` (1, 2, ... in the order they were loaded; never reused). A refresh builds a new
View from the old one (``added``, ``without``) and the store swaps it in at once: a request takes one View
and sees it whole. The old View is never changed, so a request still holding it keeps a consistent state.
Building a View from another copies its per-record lists (C speed) and does Python work only for the
records added, plus one pass over references to lay out the newest-first order again. Nothing per record is
made again for the records already there, so a server refreshing for weeks does not scatter them in memory
(search walks these lists, and walks scattered objects measurably slower).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

#: The single-valued facets, each a column of small integer codes per record.
COLUMNS = ("site", "day", "language", "section")


class Doc(NamedTuple):
    """What the View keeps of one record."""

    root: int
    id: int  # the record's id in its root's search index
    values: tuple[str | None, ...]  # site, day, language, section (COLUMNS)
    people: tuple[str, ...]  # authors then organizations, each once
    url: str | None
    crawled: str


class Revisit(NamedTuple):
    """A record already in the view whose URL a new record has too (from the store's table)."""

    k: int
    url: str
    crawled: str


@dataclass(frozen=True)
class View:
    """Per-record columns (indexed by ``k``), value codes, the newest-first order and the revision groups."""

    roots: int = 1
    codes: dict[str, list[int]] = field(default_factory=lambda: {name: [0] for name in COLUMNS})
    values: dict[str, list[str | None]] = field(default_factory=lambda: {name: [None] for name in COLUMNS})
    code_of: dict[str, dict[str | None, int]] = field(default_factory=lambda: {name: {None: 0} for name in COLUMNS})
    people: list[tuple[int, ...]] = field(default_factory=lambda: [()])
    person_names: list[str] = field(default_factory=list)
    person_code: dict[str, int] = field(default_factory=dict)
    by_day: dict[str, list[int]] = field(default_factory=dict)  # day -> its records' k, ascending
    newest: list[int] = field(default_factory=list)  # every k: day descending, then k descending
    rank: list[int] = field(default_factory=lambda: [0])  # k -> how new: larger is newer (the order of ``newest``)
    k_of: tuple[list[int], ...] = ()  # per root: index record id -> k (0: not served)
    group: dict[int, int] = field(default_factory=dict)  # k -> one k per URL stored more than once
    crawled: dict[int, str] = field(default_factory=dict)  # k -> crawled_at, for the records in ``group``
    all: list[int] = field(default_factory=list)  # every k served, ascending

    @classmethod
    def empty(cls, roots: int) -> View:
        """A view of nothing over ``roots`` archive roots."""
        return cls(roots=roots, k_of=tuple([0] for _ in range(roots)))

    @property
    def next_k(self) -> int:
        """The number the next record added gets."""
        return len(self.rank)

    def added(self, docs: Sequence[Doc], revisits: Iterable[Revisit]) -> View:
        """This view plus ``docs``, numbered from ``next_k`` on, in order. ``revisits``: the records already
        in this view whose URL one of ``docs`` has (so that search shows one record per URL)."""
        if not docs:
            return self
        # the new numbers made in one go: side by side in memory, which keeps search's walks over them fast
        ks = list(range(self.next_k, self.next_k + len(docs)))
        codes, values, code_of = dict(self.codes), dict(self.values), dict(self.code_of)
        for i, name in enumerate(COLUMNS):
            codes[name], values[name], code_of[name] = _coded(
                self.codes[name], self.values[name], self.code_of[name], [d.values[i] for d in docs]
            )
        person_names, person_code = self.person_names, self.person_code
        if any(p not in person_code for d in docs for p in d.people):
            person_names, person_code = list(person_names), dict(person_code)
        people = list(self.people)
        for d in docs:
            row = []
            for name in d.people:
                code = person_code.get(name)
                if code is None:
                    code = person_code[name] = len(person_names)
                    person_names.append(name)
                row.append(code)
            people.append(tuple(row))
        by_day = dict(self.by_day)
        day = COLUMNS.index("day")
        for value, same in itertools.groupby(
            sorted(zip(ks, docs, strict=True), key=lambda kd: str(kd[1].values[day])),
            key=lambda kd: str(kd[1].values[day]),
        ):
            by_day[value] = [*by_day.get(value, ()), *(k for k, _ in same)]
        k_of = tuple(list(ids) for ids in self.k_of)
        for k, d in zip(ks, docs, strict=True):
            ids = k_of[d.root]
            if d.id >= len(ids):
                ids.extend([0] * (d.id + 1 - len(ids)))
            ids[d.id] = k
        group, crawled = self._grouped(ks, docs, revisits)
        return replace(
            self,
            codes=codes,
            values=values,
            code_of=code_of,
            people=people,
            person_names=person_names,
            person_code=person_code,
            k_of=k_of,
            group=group,
            crawled=crawled,
            all=self.all + ks,
            rank=self.rank + [_newness(str(d.values[day]), k) for k, d in zip(ks, docs, strict=True)],
            **_ordered(by_day),
        )

    def _grouped(
        self, ks: list[int], docs: Sequence[Doc], revisits: Iterable[Revisit]
    ) -> tuple[dict[int, int], dict[int, str]]:
        """The revision groups with ``docs`` added: every URL held by two records or more, one group each."""
        members: dict[str, list[tuple[int, str]]] = {}
        for r in revisits:
            members.setdefault(r.url, []).append((r.k, r.crawled))
        for k, d in zip(ks, docs, strict=True):
            if d.url is not None:
                members.setdefault(d.url, []).append((k, d.crawled))
        group, crawled = self.group, self.crawled
        for held in members.values():
            if len(held) < 2:
                continue
            if group is self.group:
                group, crawled = dict(group), dict(crawled)
            g = min(group.get(k, k) for k, _ in held)  # an existing group keeps its number
            for k, c in held:
                group[k], crawled[k] = g, c
        return group, crawled

    def without(self, gone: Collection[int]) -> View:
        """This view without the records numbered ``gone`` (their file was rewritten or removed)."""
        if not gone:
            return self
        by_day = {day: kept for day, ks in self.by_day.items() if (kept := [k for k in ks if k not in gone])}
        k_of = tuple([0 if k in gone else k for k in ids] for ids in self.k_of)
        group = {k: g for k, g in self.group.items() if k not in gone}
        crawled = {k: c for k, c in self.crawled.items() if k not in gone}
        return replace(
            self,
            k_of=k_of,
            group=group,
            crawled=crawled,
            all=[k for k in self.all if k not in gone],
            **_ordered(by_day),
        )


def _coded(
    column: list[int], values: list[str | None], code_of: dict[str | None, int], new: list[str | None]
) -> tuple[list[int], list[str | None], dict[str | None, int]]:
    """``column`` extended with the codes of ``new`` (new values get new codes: copies, the old stay as they are)."""
    if any(v not in code_of for v in new):
        values, code_of = list(values), dict(code_of)
        for v in new:
            if v not in code_of:
                code_of[v] = len(values)
                values.append(v)
    return column + [code_of[v] for v in new], values, code_of


def _ordered(by_day: dict[str, list[int]]) -> dict[str, Any]:
    """``by_day`` and every k newest first: day descending, then k descending."""
    newest = list(itertools.chain.from_iterable(reversed(by_day[day]) for day in sorted(by_day, reverse=True)))
    return {"by_day": by_day, "newest": newest}


def _newness(day: str, k: int) -> int:
    """A number that orders records as ``newest`` does: by day (YYYY-MM-DD), then by k (below 2**32)."""
    digits = day.replace("-", "")
    return (int(digits) if digits.isascii() and digits.isdigit() else 0) << 32 | k
