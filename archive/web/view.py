"""What search counts, filters and orders on, per record, in memory: one immutable snapshot (a ``View``).

Records are numbered ``k`` (1, 2, ... in the order they were loaded; never reused). A refresh builds a new
View from the old one (``added``, ``without``) and the store swaps it in at once: a request takes one View
and sees it whole. The old View is never changed, so a request still holding it keeps a consistent state.
Building a View from another copies its per-record lists (C speed) and does Python work only for the
records added, plus one pass to number the newest-first order.
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

#: The single-valued facets, each a column of small integer codes per record.
COLUMNS = ("site", "day", "language", "section")


class Doc(NamedTuple):
    """What the View keeps of one record."""

    k: int
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
    rank: list[int] = field(default_factory=lambda: [0])  # k -> its place in ``newest`` counted from the end
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
        """This view plus ``docs`` (numbered from ``next_k`` on, in order). ``revisits``: the records already
        in this view whose URL one of ``docs`` has (so that search shows one record per URL)."""
        if not docs:
            return self
        assert docs[0].k == self.next_k and docs[-1].k == self.next_k + len(docs) - 1
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
        for day, same in itertools.groupby(sorted(docs, key=_day), key=_day):
            by_day[day] = [*by_day.get(day, ()), *(d.k for d in same)]
        k_of = tuple(list(ids) for ids in self.k_of)
        for d in docs:
            ids = k_of[d.root]
            if d.id >= len(ids):
                ids.extend([0] * (d.id + 1 - len(ids)))
            ids[d.id] = d.k
        group, crawled = self._grouped(docs, revisits)
        newest, rank = _newest(by_day, self.next_k + len(docs))
        return View(
            self.roots,
            codes,
            values,
            code_of,
            people,
            person_names,
            person_code,
            by_day,
            newest,
            rank,
            k_of,
            group,
            crawled,
            self.all + [d.k for d in docs],
        )

    def _grouped(self, docs: Sequence[Doc], revisits: Iterable[Revisit]) -> tuple[dict[int, int], dict[int, str]]:
        """The revision groups with ``docs`` added: every URL held by two records or more, one group each."""
        members: dict[str, list[tuple[int, str]]] = {}
        for r in revisits:
            members.setdefault(r.url, []).append((r.k, r.crawled))
        for d in docs:
            if d.url is not None:
                members.setdefault(d.url, []).append((d.k, d.crawled))
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
        newest, rank = _newest(by_day, self.next_k)
        return View(
            self.roots,
            self.codes,
            self.values,
            self.code_of,
            self.people,
            self.person_names,
            self.person_code,
            by_day,
            newest,
            rank,
            k_of,
            group,
            crawled,
            [k for k in self.all if k not in gone],
        )


def _day(doc: Doc) -> str:
    return str(doc.values[COLUMNS.index("day")])


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


def _newest(by_day: dict[str, list[int]], size: int) -> tuple[list[int], list[int]]:
    """Every k newest first (day descending, then k descending), and each k's place counted from the oldest."""
    newest = list(itertools.chain.from_iterable(reversed(by_day[day]) for day in sorted(by_day, reverse=True)))
    rank = [0] * size
    for place, k in enumerate(reversed(newest), 1):
        rank[k] = place
    return newest, rank
