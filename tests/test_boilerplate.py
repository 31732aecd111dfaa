"""Boilerplate lines and blocks go; real sentences that contain the same words stay."""

from __future__ import annotations

from typing import Any

import pytest

from scraper.extract import strip_boilerplate
from scraper.extract.boilerplate import DEFAULT_PATTERNS, DEFAULT_STRIPPER, BoilerplateStripper


@pytest.mark.parametrize(
    "line",
    [
        "Leave a Comment",
        "Leave a Reply",
        "Your email address will not be published.",
        "Your email address will not be published. Required fields are marked *",
        "Post Comment",
        "Scroll to Top",
        "Back to top",
        "Read more: Council votes on budget after long debate",
        "Also read: Bus route 14 returns to the village",
        "Related: Island school to stay open",
        "Share this article",
        "Share on Facebook",
        "Facebook | Twitter | WhatsApp",
        "We use cookies to give you the best experience on our website. By continuing you agree to our cookie policy.",
        "Sign up for our morning newsletter",
        "Advertisement",
        "© 2026 The Harbour Gazette. All rights reserved.",
        "Save my name, email, and website in this browser for the next time I comment.",
        "Tags: Council, Seawall",
        "Article continues below",
        "Advertisement · Scroll to continue",
        "Reklam",
        "Anzeige",
    ],
)
def test_boilerplate_lines_are_removed(line: str) -> None:
    prose = "A first real paragraph that says something about the harbour and its people."
    assert DEFAULT_STRIPPER.clean(f"{prose}\n\n{line}").text == prose


@pytest.mark.parametrize(
    "sentence",
    [
        "The clerk says the simplest way to be heard is to leave a comment on the consultation page.",
        "Leave a comment, the clerk said, even if it is only one line: every response is read.",
        "Residents who want to read more about the plan can collect a printed copy from the post office.",
        "Readers who only scroll to top sections will still find the deadlines there.",
        "The site uses cookies to track readers, the regulator found.",
        "Photographers said the light was perfect.",
    ],
)
def test_sentences_with_boilerplate_words_stay(sentence: str) -> None:
    assert DEFAULT_STRIPPER.clean(sentence).text == sentence


def test_blocks_after_a_related_heading_go_until_prose_returns() -> None:
    text = (
        "Opening paragraph of the story, long enough to read as prose rather than a headline.\n\n"
        "Related posts\n\nTen things you did not know\n\nAnother headline here\n\n"
        "Leave a Comment\n\nComment *\n\nName *"
    )
    cleaned = DEFAULT_STRIPPER.clean(text)
    assert cleaned.text == "Opening paragraph of the story, long enough to read as prose rather than a headline."
    assert cleaned.removed == 6


def test_credit_lines_are_set_aside_for_the_caption() -> None:
    cleaned = DEFAULT_STRIPPER.clean("Real text of the article goes here.\n\nPhoto: Jane Doe/Reuters")
    assert cleaned.text == "Real text of the article goes here."
    assert cleaned.credits == ["Photo: Jane Doe/Reuters"]


def test_extra_patterns_extend_the_defaults() -> None:
    stripper = BoilerplateStripper([r"support independent journalism.*"])
    text = "Support independent journalism: donate today\n\nA real paragraph."
    assert stripper.clean(text).text == "A real paragraph."


@pytest.mark.parametrize(
    "sentence",
    [
        "Copyright lawyers for the songwriter's family said the label had kept back more than £300,000.",
        "Photographs by the band's former drummer, taken on the night the song was first played, were shown"
        " to the court.",
        "Video by a fan who attended the 1994 concert was also played, and the judge watched it twice.",
        "Topics: royalties, streaming income and the 1994 live album will all go back to the High Court.",
        "Tags: the council says new street signs will be installed before the summer season.",
        '"We use cookies to give every listener a better experience," the label\'s terms said, and the court agreed.',
        "“We use cookies to improve your experience on our website,” the notice read, the regulator found.",
        "Share prices in the harbour company fell by a fifth on Monday.",
        "Advertising revenue at the paper fell for the third year running.",
        "Related research by the university found the same pattern in other ports.",
        "Continue reading the report and the numbers look worse for the council.",
        "Tags: the US and China will meet in June to discuss tariffs on steel.",
    ],
)
def test_prose_is_never_removed_by_a_generic_pattern(sentence: str) -> None:
    prose = "A first real paragraph that says something about the harbour and its people."
    cleaned = DEFAULT_STRIPPER.clean(f"{prose}\n\n{sentence}")
    assert cleaned.text == f"{prose}\n\n{sentence}"
    assert cleaned.removed == 0 and cleaned.credits == []


@pytest.mark.parametrize(
    "line",
    [
        "You must be logged in to post a comment.",
        "This site uses Akismet to reduce spam. Learn how your comment data is processed.",
        "Click here to subscribe to our newsletter and never miss a story again.",
        "Follow us on Twitter for the latest news from the harbour.",
        "The article continues below.",
        "Copyright 2026 The Harbour Gazette Limited, a member of the Regional Press Group. All rights reserved.",
        "© The Harbour Gazette Limited, a member of the Regional Press Group, registered in England.",
        "We use cookies to improve your experience on our site. By using this site you accept our cookie policy.",
        "Tags: Courts, Music, Harbour",
        "Topics: royalties, courts",
    ],
)
def test_lines_addressed_to_the_reader_or_without_a_sentence_still_go(line: str) -> None:
    prose = "A first real paragraph that says something about the harbour and its people."
    assert DEFAULT_STRIPPER.clean(f"{prose}\n\n{line}").text == prose


def test_a_heading_like_latest_followed_by_sentences_is_a_subheading() -> None:
    text = (
        "The family of the songwriter won the first round of their fight on Tuesday.\n\nLatest\n\n"
        "The judge adjourned the case until June.\n\nBoth sides must file new accounts.\n\n"
        "The label declined to comment."
    )
    assert DEFAULT_STRIPPER.clean(text).text == text


def test_credit_lines_stay_in_the_text_when_they_have_no_image_to_go_to() -> None:
    text = "Real text of the article goes here, and it is long enough.\n\nPhoto: Jane Doe/Reuters"
    assert DEFAULT_STRIPPER.clean(text, credits_to_caption=False).text == text
    record: dict[str, Any] = {"text": text, "image": None}
    assert strip_boilerplate(record, DEFAULT_STRIPPER) == 0 and record["text"] == text
    record = {"text": text, "image": {"url": "https://x.example/a.jpg", "caption": "The quay at dawn."}}
    assert strip_boilerplate(record, DEFAULT_STRIPPER) == 1
    assert record["text"] == "Real text of the article goes here, and it is long enough."
    assert record["image"]["caption"] == "The quay at dawn. Photo: Jane Doe/Reuters"


def test_explicit_patterns_are_the_users_choice_and_remove_prose_too() -> None:
    line = "Support independent journalism: every donation, however small, keeps this newsroom going."
    text = f"A real paragraph about the harbour and its people.\n\n{line}"
    assert DEFAULT_STRIPPER.clean(text).text == text  # a generic pattern would not match it anyway
    stripper = BoilerplateStripper(explicit=[r"support independent journalism.*"])
    assert stripper.clean(text).text == "A real paragraph about the harbour and its people."
    guarded = BoilerplateStripper([*DEFAULT_PATTERNS, r"support independent journalism.*"])
    assert guarded.clean(text).text == text  # the generic list obeys the prose guard, whoever wrote it
