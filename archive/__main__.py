"""``python -m archive``: the news-archive command line."""

from .cli import main

raise SystemExit(main())
