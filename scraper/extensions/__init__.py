"""Scrapy extensions: the run summary, the log policy and the pipeline watchdog."""
