"""What the tests share: paths, the crawl harness, records, pages, commands, and components they plug into real
crawls through settings. Never imported by the product; not in the wheel."""
