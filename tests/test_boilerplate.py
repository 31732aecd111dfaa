"""Boilerplate lines and blocks go; real sentences that contain the same words stay."""

from __future__ import annotations

import pytest

from scraper.boilerplate import DEFAULT_STRIPPER, BoilerplateStripper


@pytest.mark.parametrize("line", [
    "Leave a Comment", "Leave a Reply", "Your email address will not be published.",
    "Your email address will not be published. Required fields are marked *", "Post Comment",
    "Scroll to Top", "Back to top", "Read more: Council votes on budget after long debate",
    "Also read: Bus route 14 returns to the village", "Related: Island school to stay open",
    "Share this article", "Share on Facebook", "Facebook | Twitter | WhatsApp",
    "We use cookies to give you the best experience on our website. By continuing you agree to our cookie policy.",
    "Sign up for our morning newsletter", "Advertisement", "© 2026 The Harbour Gazette. All rights reserved.",
    "Save my name, email, and website in this browser for the next time I comment.", "Tags: Council, Seawall",
    "Article continues below", "Advertisement · Scroll to continue", "Reklam", "Anzeige",
])
def test_boilerplate_lines_are_removed(line: str) -> None:
    prose = "A first real paragraph that says something about the harbour and its people."
    assert DEFAULT_STRIPPER.clean(f"{prose}\n\n{line}").text == prose


@pytest.mark.parametrize("sentence", [
    "The clerk says the simplest way to be heard is to leave a comment on the consultation page.",
    "Leave a comment, the clerk said, even if it is only one line: every response is read.",
    "Residents who want to read more about the plan can collect a printed copy from the post office.",
    "Readers who only scroll to top sections will still find the deadlines there.",
    "The site uses cookies to track readers, the regulator found.",
    "Photographers said the light was perfect.",
])
def test_sentences_with_boilerplate_words_stay(sentence: str) -> None:
    assert DEFAULT_STRIPPER.clean(sentence).text == sentence


def test_blocks_after_a_related_heading_go_until_prose_returns() -> None:
    text = ("Opening paragraph of the story, long enough to read as prose rather than a headline.\n\n"
            "Related posts\n\nTen things you did not know\n\nAnother headline here\n\n"
            "Leave a Comment\n\nComment *\n\nName *")
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
