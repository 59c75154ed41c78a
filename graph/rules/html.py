"""Email bodies are sanitised when stored, so every client may show them as HTML.

A tracked or imported email is written by someone outside the organisation; a single-page
app that renders its body would run whatever `<script>`, `onerror=` or `javascript:` link
it carries. nh3 (the Rust sanitiser ammonia) keeps an allow-list: ordinary mail formatting
stays (paragraphs, line breaks, bold and italics, links, lists, tables, images, quotes,
headings), everything else goes: scripts and style sheets with their content, event
handler and `style` attributes, and links or images whose URL is not http(s) (or, for
links, mailto/tel). Links get `rel="noopener noreferrer"`.
"""

from __future__ import annotations

import nh3

TAGS = frozenset(nh3.ALLOWED_TAGS) | {"font"}
ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height", "align"},
    "table": {"align", "border", "cellpadding", "cellspacing", "summary", "width"},
    "td": {"align", "valign", "colspan", "rowspan", "width", "headers"},
    "th": {"align", "valign", "colspan", "rowspan", "width", "scope"},
    "tr": {"align", "valign"},
    "p": {"align"},
    "div": {"align"},
    "font": {"color", "face", "size"},
}
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
# Tags removed with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "head"})


def sanitise_html(html: str) -> str:
    """The body with only the allowed formatting left (see the module docstring)."""
    return nh3.clean(html, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(URL_SCHEMES),
                     clean_content_tags=set(DROPPED_WITH_CONTENT), link_rel="noopener noreferrer",
                     attribute_filter=_no_images_from_mail_links)


def _no_images_from_mail_links(tag: str, attribute: str, value: str) -> str | None:
    """An image's source must be a web address (mailto:/tel: are only for links)."""
    if tag == "img" and attribute == "src" and not value.lower().lstrip().startswith(("http://", "https://")):
        return None
    return value
