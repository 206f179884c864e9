"""What the bot says: complete in every language, escaped, and safe with admin templates."""

from __future__ import annotations

import string

import pytest

from chalicelib.enforcement import texts
from chalicelib.enforcement.locales import EN, LANGUAGES
from chalicelib.enforcement.policy import GroupSettings
from chalicelib.errors import InvalidInput
from chalicelib.store.records import ChannelRef


def _placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("language", sorted(set(LANGUAGES) - {"en"}))
def test_every_translation_is_complete_with_the_same_placeholders(language: str) -> None:
    table = LANGUAGES[language]
    assert set(table) == set(EN)
    mismatched = [k for k in EN if _placeholders(EN[k]) != _placeholders(table[k])]
    assert mismatched == []


def test_at_least_three_languages_besides_english() -> None:
    assert len(set(LANGUAGES) - {"en"}) >= 3


@pytest.mark.parametrize(("code", "expected"), [("de-AT", "DE"), ("pt-br", "EN"), (None, "EN")])
def test_language_codes_fall_back_to_english(code: str | None, expected: str) -> None:
    table = {"DE": LANGUAGES["de"], "EN": EN}[expected]
    assert texts.text("verified", code) == table["verified"]


def test_names_with_markup_and_emoji_are_escaped_in_mentions() -> None:
    html = texts.mention(5, "<b>Ann</b> & _co_ 🎉")
    assert html == '<a href="tg://user?id=5">&lt;b&gt;Ann&lt;/b&gt; &amp; _co_ 🎉</a>'


def test_channels_link_publicly_or_by_invite() -> None:
    public = ChannelRef(-1, "News", "news", "https://t.me/+abc")
    private = ChannelRef(-2, "Club <3", None, "https://t.me/+xyz")
    assert texts.channel_url(public) == "https://t.me/news"
    assert texts.channel_url(private) == "https://t.me/+xyz"
    assert texts.channel_list([public, private]) == "@news, <b>Club &lt;3</b>"


def test_keyboard_binds_the_button_to_one_user() -> None:
    keyboard = texts.join_keyboard([ChannelRef(-1, "News", "news")], 42)
    assert keyboard["inline_keyboard"][-1][0]["callback_data"] == "nz:v:42"


@pytest.mark.parametrize(
    "template",
    ["{mention.__class__}", "{0}", "{mention!r}", "{group:>10}", "{", "}", "{unknown}", ""],
)
def test_unsafe_templates_are_refused(template: str) -> None:
    assert texts.validate_template(template) is not None
    with pytest.raises(InvalidInput):
        GroupSettings().changed(notice_template=template)


def test_a_template_is_plain_text_around_the_escaped_values() -> None:
    body = texts.render_notice(
        "<b>{mention}</b> join {channels}", None, mention="<a>M</a>", group="G", channels="@c"
    )
    assert body == "&lt;b&gt;<a>M</a>&lt;/b&gt; join @c"


def test_a_broken_stored_template_falls_back_to_the_default_notice() -> None:
    body = texts.render_notice("{oops}", "en", mention="M", group="G", channels="@c")
    assert body.startswith("M, to write in <b>G</b>")
