"""Fixtures shared by the test modules (fixtures only: helpers live in tests/support/)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from devtools.sitegen import generate
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


@pytest.fixture(scope="module")
def big_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A generated site of 400 articles served on 127.0.0.1: large enough to kill a crawl in the middle of it."""
    folder = tmp_path_factory.mktemp("big-site")
    generate(folder, 400)
    with serve(folder) as site:
        yield site
