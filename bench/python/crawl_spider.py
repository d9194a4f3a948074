"""The Scrapy equivalent of `asyncio-fetch --crawl BASE/site/0 --concurrency N --per-host N`:
robots.txt obeyed, links followed on the seed's host, each page once (Scrapy's dupe filter),
one JSON line per page written to OUT. Usage: crawl_spider.py SEED CONCURRENCY OUT"""

import re
import sys
from urllib.parse import urlparse

from scrapy.crawler import CrawlerProcess
from scrapy.linkextractors import LinkExtractor
from scrapy.spiders import CrawlSpider, Rule


class SiteSpider(CrawlSpider):
    name = "site"

    def __init__(self, seed, **kw):
        self.start_urls = [seed]
        # The seed's host and port (allow_domains compares hosts without the port, so a
        # loopback server's links would all be dropped).
        u = urlparse(seed)
        origin = f"{u.scheme}://{u.netloc}/"
        self.rules = (
            Rule(
                LinkExtractor(allow=(re.escape(origin),)), callback="page", follow=True
            ),
        )
        super().__init__(**kw)

    def parse_start_url(self, response, **kw):
        return self.page(response)

    def page(self, response):
        yield {"url": response.url, "status": response.status}


if __name__ == "__main__":
    seed, concurrency, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    process = CrawlerProcess(
        settings={
            "ROBOTSTXT_OBEY": True,
            "CONCURRENT_REQUESTS": concurrency,
            "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
            "DOWNLOAD_DELAY": 0,
            "RETRY_ENABLED": False,
            "LOG_LEVEL": "ERROR",
            "TELNETCONSOLE_ENABLED": False,
            "FEEDS": {out: {"format": "jsonlines", "overwrite": True}},
            "REQUEST_FINGERPRINTER_IMPLEMENTATION": "2.7",
        }
    )
    process.crawl(SiteSpider, seed=seed)
    process.start()
