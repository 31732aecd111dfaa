"""Downloader and spider middlewares: politeness, retries, redirects, incremental runs, page budgets."""
