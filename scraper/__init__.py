"""news-archiver's Scrapy project: settings, the article record and the extraction core."""
