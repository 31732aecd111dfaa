"""Classes of extraction failure fixed against real pages, each pinned on a small page written for the test."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from scraper.extract import analyse_page, extract_article


def _text(page: Any, name: str, url: str = "https://news.example/2026/story") -> str:
    return str(extract_article(page(name), url)["text"])


# --- body ---------------------------------------------------------------------------------------------


def test_article_inside_layout_classes_named_like_furniture_is_kept(page: Any) -> None:
    """Containers called "sidebar-grid", "paywall" or "...-ad-hidden" hold the story on many sites."""
    text = _text(page, "sidebar-layout.html")
    assert text.startswith("The island ferry will run four crossings a day")
    assert "Freight bookings are not affected" in text
    assert len(text.split("\n\n")) == 4
    assert "Most read" not in text and "Lifeboat crew" not in text and "Advertisement" not in text


def test_teaser_cards_after_the_article_are_cut_off(page: Any) -> None:
    text = _text(page, "teaser-list.html")
    assert text.endswith("Vereine können die Bahnen wie bisher am Dienstag- und Donnerstagabend buchen.")
    assert "Längere Öffnungszeiten am Wochenende" in text  # a plain subheading of the article stays
    for teaser in ("Freibadsaison", "Das Freibad am See", "Schwimmverein", "Mehr zum Thema"):
        assert teaser not in text


def test_consent_dialog_never_outweighs_a_short_article(page: Any) -> None:
    text = _text(page, "consent-dialog.html")
    assert text.startswith("The river bridge will close to traffic on Sunday night")
    assert "cookies" not in text and "privacy" not in text.lower()


def test_article_split_into_chunks_between_ads_is_read_whole(page: Any) -> None:
    text = _text(page, "chunked-article.html")
    assert text.startswith("For thirty years the old orchard")
    assert "Her neighbours joined in the second year." in text
    assert text.endswith("and that keeps the village coming back.")
    assert "Advertisement" not in text


def test_live_blog_stamps_ad_labels_and_embedded_posts_are_dropped(page: Any) -> None:
    text = _text(page, "liveblog-stamps.html")
    assert len(text.split("\n\n")) == 4
    for junk in ("21:05", "KEY EVENT", "Reklam", "@countypolice", "Please stay away from the promenade"):
        assert junk not in text


def test_table_of_a_list_article_is_kept_with_its_introduction(page: Any) -> None:
    text = _text(page, "table-article.html", "https://wiki.example/Lighthouses")
    assert text.startswith("This list covers the working and retired lighthouses")
    assert "Stands on a tidal island" in text and "visible for twenty-six nautical miles" in text
    assert text.endswith("publishes the opening times each spring.")
    assert "Harbours" not in text


def test_how_to_steps_keep_their_labels_and_lose_the_related_links(page: Any) -> None:
    text = _text(page, "howto-steps.html", "https://crafts.example/bottle-garden")
    assert "Step 3\n\nAdd potting compost" in text
    assert text.endswith("keep the jar out of direct sun.")
    assert "bird feeder" not in text


# --- title ---------------------------------------------------------------------------------------------


def test_title_skips_an_og_title_that_is_the_site_name_and_drops_a_kicker_the_h1_leaves_out(page: Any) -> None:
    record = extract_article(page("title-sources.html"), "https://valley.example/news/river-wall")
    assert record["title"] == "River wall to be raised by a metre"


def test_title_entities_escaped_twice_are_decoded(page: Any) -> None:
    record = extract_article(page("title-escaped.html"), "https://journal-du-val.example/moulin")
    assert record["title"] == 'Le moulin "Bellevue" rouvre ses portes'


def test_json_ld_name_beats_a_headline_that_is_a_description(page: Any) -> None:
    record = extract_article(page("title-ld-name.html"), "https://openencyclopedia.example/wiki/Tidal_mill")
    assert record["title"] == "Tidal mill"


# --- authors and dates ----------------------------------------------------------------------------------


def test_authors_fall_back_past_a_slug_to_meta_and_ignore_credits_and_comments(page: Any) -> None:
    record = extract_article(page("byline-cascade.html"), "https://valley-courier.example/news/night-buses")
    assert record["authors"] == ["Rhys Morgan"]  # not "rhys-morgan", "(Image: ...)" nor the commenter


def test_visible_byline_beside_the_article_beats_teasers_and_drops_the_desk(page: Any) -> None:
    record = extract_article(page("byline-visible.html"), "https://mdz-nordkreis.example/radwege")
    assert record["authors"] == ["Eva Kirchner-Lang"]  # not the teaser's author, nor "MDZ Nordkreis", nor "Nachrichten"
    assert record["published_at"] == "2024-04-25T14:07:00"  # read from the byline's line, no offset invented


def test_json_ld_in_a_cdata_comment_is_read(page: Any) -> None:
    record = extract_article(page("teaser-list.html"), "https://kreisbote.example/stadtbad")
    assert record["published_at"] == "2026-03-02T11:00:00+01:00"
    assert record["authors"] == ["Lena Vogt"]


def test_date_written_in_words_in_another_language(page: Any) -> None:
    record = extract_article(page("date-words.html"), "https://faktencheck.example/regenwasser")
    assert record["published_at"] == "2026-05-13T15:44:00"


def test_published_time_meta_with_colons_keeps_its_offset(page: Any) -> None:
    record = extract_article(page("chunked-article.html"), "https://orchards.example/story")
    assert record["published_at"] == "2026-10-04T08:15:00+01:00"


# --- limits ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><ul>" + "".join(f"<li><a href='/{i}'>Link {i}</a></li>" for i in range(60_000)) + "</ul></body>",
        "<html><body><article>" + "<p>A sentence of a paragraph, and more.</p>" * 40_000 + "</article></body></html>",
        "<html><body>" + "<div>" * 5_000 + "deep" + "</div>" * 5_000 + "</body></html>",
    ],
)
def test_pathological_pages_give_a_record_and_a_warning_when_cut(html: str, caplog: pytest.LogCaptureFixture) -> None:
    # how fast they go is measured in bench/, not asserted here
    with caplog.at_level(logging.WARNING):
        result = analyse_page(html, "https://x.example/huge")
    assert result.record["url"] == "https://x.example/huge"
    if len(html) > 1_000_000:
        assert any("not read" in r.message or "trafilatura" in r.message for r in caplog.records)


# --- second pass: classes found on the evaluation pages, each on a page written for the test ------------


def _record(page: Any, name: str) -> dict[str, Any]:
    return extract_article(page(name), "https://news.example/2026/story")


def test_title_keeps_the_headline_when_a_logo_h1_repeats_the_platform_part(page: Any) -> None:
    """A blog's "Post @ Blog :: Platform ::" beside a logo `<h1>` "Platform": the platform alone is no title,
    nor is the post's part a site name merely because it names the blog."""
    title = _record(page, "title-platform-suffix.html")["title"]
    assert title == "北投溫泉一日遊 (3) @ 小林的旅行筆記 :: 部落格平台 ::"


def test_title_drops_a_kicker_when_another_source_has_a_different_one(page: Any) -> None:
    """og:title "Kicker A: «Headline»" and h1 "Kicker B - «Headline»": the headline is the part they share."""
    assert _record(page, "title-two-kickers.html")["title"] == "«Wir wurden nie gefragt»"


def test_byline_labelled_with_von_without_byline_class(page: Any) -> None:
    """A "Von: <a>Name</a>, <a>Name</a>" line with no author/byline class; the JSON-LD author is a desk."""
    assert _record(page, "byline-labelled.html")["authors"] == ["Anna BERGER", "Jonas Weil"]


def test_byline_leading_the_date_line(page: Any) -> None:
    """ "Name | 05.04.2025 - Updated: ..." with no author markup: the name before the bar is the author."""
    record = _record(page, "byline-beside-date.html")
    assert record["authors"] == ["Deniz Aksoy"]
    assert record["published_at"] == "2025-04-05"


def test_signature_after_the_last_paragraph_is_the_author_not_text(page: Any) -> None:
    """A bold right-aligned name after the article (a signature) is its author and stays out of the text;
    the outlet named in `<meta name=author>` is not a person."""
    record = _record(page, "signature-end.html")
    assert record["authors"] == ["Thu Hà"]
    assert record["text"].endswith("theo các bác sĩ.")


def test_byline_lines_split_at_br(page: Any) -> None:
    """ "Redaktion: A und <a>B</a><br><br>Sendung: ..." is a line of names, then a programme line."""
    assert _record(page, "byline-lines.html")["authors"] == ["Eva Roth", "Tim Lang"]


def test_long_teaser_cards_after_the_article_are_cut_off(page: Any) -> None:
    """Cards (headline link, a summary over 300 characters, a source) in a list after the story: each card's
    summary is alone in its box, unlike an article's own subheaded sections."""
    text = _record(page, "card-teasers.html")["text"]
    assert text.endswith("veterans' charity.")
    assert "Morning Wire" not in text and "crane" not in text and "Recommended" not in text


def test_article_in_a_modal_overlay_is_read(page: Any) -> None:
    """A reader overlay ("...-modal") that holds an `<article>` is the article, not a pop-up; the stream
    of cards behind it is not."""
    record = _record(page, "modal-article.html")
    assert record["text"].startswith("An unmanned cargo ship bound for the space station")
    assert "Background stream" not in record["text"]
    assert record["authors"] == ["Ann Dale"]


def test_slideshow_captions_inside_the_article_body_are_left_out(page: Any) -> None:
    """A gallery of other pictures ("1/6 Title. Caption", "2/6 ...") in the body; the text after it stays."""
    text = _record(page, "slideshow-captions.html")["text"]
    assert "Markets slide" not in text and "Coffee prices" not in text and "PHOTO AGENCY" not in text
    assert text.endswith("better value than an older one.")
    assert len(text.split("\n\n")) == 4


def test_article_carried_by_a_script_payload_is_read(page: Any) -> None:
    """A page rendered in the browser: the visible page has only the headline, the paragraphs come as
    escaped HTML in a JSON string of a script."""
    text = _record(page, "script-payload.html")["text"]
    assert text.startswith("The governing party expelled its former leader on Thursday")
    assert len(text.split("\n\n")) == 3


# --- titles, third pass: suffixes (issue 11) ----------------------------------------------------------------


def test_title_drops_a_colon_separated_section_and_site_suffix(page: Any) -> None:
    """A "Headline : Blog : Site" (og:site_name "Site"): the site ends it, the `<h1>` states the headline alone."""
    title = _record(page, "title-colon-suffix.html")["title"]
    assert title == "Ferry Service Returns To The Island After Storm Repairs"


def test_title_colon_without_a_site_name_at_the_end_is_part_of_the_headline() -> None:
    """French typography puts a space before the colon: " : " alone is no site separator."""
    from scraper.extract.title import choose_title

    title = "Incendie à Lyon : trois immeubles évacués"
    chosen = choose_title(
        headline=None,
        name=None,
        og=title,
        twitter=None,
        dc=None,
        h1s=[title],
        title_tag=f"{title} - Le Journal du Rhône",
        site_names=["Le Journal du Rhône"],
        hint=None,
    )
    assert chosen == title


def test_title_keeps_a_part_every_structured_source_and_the_title_state(page: Any) -> None:
    """JSON-LD, og, twitter and `<title>` all say "Headline - Tagline" (no site name): the `<h1>` leaving the
    tagline out does not make it a suffix to cut."""
    title = _record(page, "title-agreed-suffix.html")["title"]
    assert title == "Bridge closures this weekend - Traffic update"


# --- body, issue 11: wrong block on short posts, sidebars beside the post, lists after the prose ----------------


def test_short_post_wins_over_a_longer_sidebar_blurb(page: Any) -> None:
    """Our finder picks the sidebar's "About this blog" text (more prose than the four-line post); it sits in
    a sidebar widget that does not hold the headline, so trafilatura's text outside it replaces it."""
    text = _text(page, "body-sidebar-blurb.html", "https://news.example/2012/06/lantern-walk")
    assert "The lantern walk starts at the old lifeboat station" in text
    assert "hot soup at the end, at the yacht club" in text
    assert "retired harbour master" not in text and "All rights reserved" not in text


def test_sidebar_widget_inside_the_container_is_dropped(page: Any) -> None:
    """A container that holds the post and, after it, a sidebar widget: the widget's blurb is not the post's."""
    text = _text(page, "body-widget-inside.html")
    assert text.startswith("The new footbridge over the canal opened on Monday morning")
    assert text.endswith("new lighting along the towpath before the winter.")
    assert "community newsletter" not in text


def test_list_after_the_last_paragraph_is_kept(page: Any) -> None:
    """A recipe's ingredients follow the prose in the same element: short lines, no links; the tag links that
    end the post are not taken in."""
    text = _text(page, "body-ingredient-list.html")
    assert "Ingredients for 4 portions:" in text
    assert text.endswith("salt and pepper to taste")
    assert "3 large leeks, sliced" in text


def test_several_paragraphs_beat_trafilatura_adding_offers(page: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """A post of several paragraphs that holds a minority of the page's prose (offer boxes elsewhere): when
    trafilatura answers with much more text that includes the post and the offers, the post stays alone."""
    import scraper.extract.body as body

    real = body._trafilatura_paragraphs

    def with_offers(tree: Any, url: str) -> list[str]:
        return [*real(tree, url), *(p.text_content().strip() for p in tree.iterfind(".//div[@class='offers']/p"))]

    monkeypatch.setattr(body, "_trafilatura_paragraphs", with_offers)
    text = _text(page, "body-offers-beside.html")
    assert text.startswith("My employer's open enrollment period started this week")
    assert text.endswith("check your balance before the deadline passes.")
    assert "cash back" not in text and "introductory rate" not in text
