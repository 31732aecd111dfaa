"""Fixtures shared by the test modules (fixtures only: helpers live in tests/support/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devtools.siteserver import Site, serve
from tests.support.paths import PAGES, SITES


@pytest.fixture
def page() -> Callable[[str], bytes]:
    """Read a fixture page from tests/pages as bytes."""
    return lambda name: (PAGES / name).read_bytes()


@pytest.fixture(scope="module")
def news_site() -> Iterator[Site]:
    """tests/sites/news served on 127.0.0.1."""
    with serve(SITES / "news") as site:
        yield site
