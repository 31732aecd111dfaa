# Minimal stubs for scrapy-redis (it ships no type hints): what scraper/fleet uses.
