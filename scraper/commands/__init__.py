"""Scrapy commands that news-archiver replaces (COMMANDS_MODULE)."""
