"""Spider arguments (`-a`), sites files and settings (`-s`) are checked before a crawl starts, and refused with one
readable line. Plain function calls, and the crawl command's own checks run in-process; one real `scrapy crawl`
shows the exit status, the one line on stderr and that nothing is fetched."""

from __future__ import annotations

import argparse
import secrets
from pathlib import Path

import pytest
from scrapy.settings import Settings

from devtools.siteserver import Site
from scraper.arguments import SpiderArgumentError
from scraper.commands.crawl import EXIT_USAGE, Command, check_settings
from spiders.article import ArticleSpider
from spiders.news import NewsSpider
from tests.support.crawl import run_crawl

TOKEN = "pwned" + secrets.token_hex(4)


def _refusal(check: object, **arguments: str) -> str:
    """The one-line message of the SpiderArgumentError `check(**arguments)` raises."""
    assert callable(check)
    with pytest.raises(SpiderArgumentError) as refused:
        check(**arguments)
    message = str(refused.value)
    assert "\n" not in message
    return message


# --- the article spider ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"url": "ftp://example.org/file"}, "url='ftp://example.org/file' is not an http(s) URL"),
        ({"url": "not a url"}, "is not an http(s) URL"),
        ({"url": "file:///etc/passwd"}, "url='file:///etc/passwd' is not an http(s) URL"),
        ({"urls_file": "{tmp}/missing.txt"}, "no such file"),
        ({}, "give exactly one of -a url=URL or -a urls_file=PATH"),
        ({"url": "https://example.org/", "urls_file": "{tmp}/missing.txt"}, "give exactly one of"),
        ({"url": "https://example.org/", "depth": "3"}, "unknown argument 'depth'"),
        ({"../../url": "http://127.0.0.1/"}, "unknown argument '../../url'"),
    ],
)
def test_bad_article_arguments_are_refused_with_one_line(
    tmp_path: Path, arguments: dict[str, str], message: str
) -> None:
    given = {name: value.format(tmp=tmp_path) for name, value in arguments.items()}
    assert message in _refusal(ArticleSpider.check_arguments, **given)


def test_a_bad_line_in_a_urls_file_is_named_by_its_line_number(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("https://example.org/a\njavascript:alert(1)\n")
    assert f"{urls}:2" in _refusal(ArticleSpider.check_arguments, urls_file=str(urls))


def test_scheduler_arguments_pass_and_the_urls_are_returned(tmp_path: Path) -> None:
    urls = tmp_path / "urls.txt"
    urls.write_text("# one per line\nhttps://example.org/a\n\nhttps://example.org/b c\n")
    assert ArticleSpider.check_arguments(urls_file=str(urls), _job="1") == [
        "https://example.org/a",
        "https://example.org/b%20c",
    ]


# --- the news spider and its sites file -----------------------------------------------------------------------
SITE = '[[site]]\nid = "x"\nstart_urls = ["https://x.example/"]\n'


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (SITE + "max_pagez = 3\n", "site 1 (id 'x'): max_pagez: unknown key"),
        (SITE.replace("https:", "ftp:"), "site 1 (id 'x'): start_urls: 'ftp://x.example/' is not"),
        (SITE.replace('"x"', '"../etc"'), "site 1: id: must be"),
        (SITE + 'exclude = ["(unclosed"]\n', "exclude: bad regular"),
        (SITE + "max_age_days = -1\n", "max_age_days: must be a positive"),
        ("[[site]\n", "not valid TOML"),
    ],
)
def test_a_bad_sites_file_is_refused_with_one_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "sites.toml"
    path.write_text(content, encoding="utf-8")
    assert message in _refusal(NewsSpider.check_arguments, sites=str(path))


@pytest.mark.parametrize(
    "site_id", [f"../../{TOKEN}", f"x; touch {TOKEN}", f"$(touch {TOKEN})", f"/tmp/{TOKEN}", "a/b", "..", "."]
)
def test_a_hostile_site_id_is_refused(tmp_path: Path, site_id: str) -> None:
    """A site's id names things in stats and logs: nothing that could be a path or a shell command."""
    path = tmp_path / "sites.toml"
    path.write_text(f'[[site]]\nid = {site_id!r}\nstart_urls = ["http://127.0.0.1:8000/"]\n'.replace("'", '"'))
    assert "id: must be lower-case letters" in _refusal(NewsSpider.check_arguments, sites=str(path))


def test_news_arguments_are_one_site_or_one_sites_file(tmp_path: Path) -> None:
    assert "not both" in _refusal(NewsSpider.check_arguments, site="https://x.example/", sites="sites.toml")
    assert "unknown argument 'sitez'" in _refusal(NewsSpider.check_arguments, sitez="sites.toml")
    assert "is not an http(s) URL" in _refusal(NewsSpider.check_arguments, site="ftp://x.example/")


# --- settings -----------------------------------------------------------------------------------------------------
def _project_settings(**overrides: str) -> Settings:
    settings = Settings()
    settings.setmodule("scraper.settings", priority="project")
    settings.setdict(overrides, priority="cmdline")
    return settings


@pytest.mark.parametrize("run_id", [f"../../{TOKEN}", f"$(touch {TOKEN})", f"/tmp/{TOKEN}", "a/b", ".."])
def test_a_hostile_run_id_is_refused(run_id: str) -> None:
    """RUN_ID names the archive's files: no '/', no '..', nothing a shell would run."""
    with pytest.raises(ValueError, match="invalid RUN_ID"):
        check_settings(_project_settings(RUN_ID=run_id))


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BOILERPLATE_EXTRA_PATTERNS", '["(unclosed"]', "BOILERPLATE_EXTRA_PATTERNS: bad regular expression"),
        (
            "BOILERPLATE_PATTERNS",
            '["unclosed JSON list"',
            "BOILERPLATE_PATTERNS is not a JSON list of regular expressions",
        ),
    ],
)
def test_unusable_boilerplate_patterns_are_refused(name: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        check_settings(_project_settings(**{name: value}))


def test_the_default_settings_pass() -> None:
    check_settings(_project_settings(RUN_ID="nightly-2026.05.01"))


# --- the crawl command --------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (
            ["article", "-a", "url=https://example.org/", "-s", "RUN_ID=../x"],
            "scrapy crawl article: error: invalid RUN_ID",
        ),
        (["news", "-a", "site=ftp://x.example/"], "scrapy crawl news: error: site='ftp://x.example/' is not"),
        (["nosuch"], "scrapy crawl: error: no spider named 'nosuch'"),
    ],
)
def test_the_crawl_command_refuses_before_anything_starts(
    argv: list[str], line: str, capsys: pytest.CaptureFixture[str]
) -> None:
    command = Command()
    command.settings = _project_settings()
    parser = argparse.ArgumentParser()
    command.add_options(parser)
    opts, args = parser.parse_known_args(argv)
    with pytest.raises(SystemExit) as stopped:
        command.process_options(args, opts)
    assert stopped.value.code == EXIT_USAGE
    [printed] = capsys.readouterr().err.splitlines()
    assert printed.startswith(line), printed


def test_a_bad_argument_makes_scrapy_crawl_exit_2_with_one_line_and_fetch_nothing(
    news_site: Site, tmp_path: Path
) -> None:
    result = run_crawl(
        "article",
        ["-a", f"url={news_site.url}2026/03/14/bridge-reopens/", "-a", "depth=3"],
        tmp_path / "data",
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "scrapy crawl article: error: unknown argument 'depth'; use -a url=URL or -a urls_file=PATH"
    ]
    assert news_site.access_log == [] and result.stats == {}  # no crawl started
    assert not result.archive.exists()
