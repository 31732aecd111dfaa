"""Discovery: where article URLs come from (sitemaps, feeds) and what a URL looks like it leads to."""
