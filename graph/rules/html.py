"""Email bodies are sanitised when stored, so every client may show them as HTML.

A tracked or imported email is written by someone outside the organisation; a single-page
app that renders its body would run whatever `<script>`, `onerror=` or `javascript:` link
it carries. nh3 (the Rust sanitiser ammonia) keeps an allow-list: ordinary mail formatting
stays (paragraphs, line breaks, bold and italics, links, lists, tables, images, quotes,
headings, and inline styles limited to text properties such as colour, weight and
`white-space`), everything else goes: scripts and style sheets with their content, event
handler attributes, layout and URL-bearing style properties, and links or images whose URL is not http(s) (or, for
links, mailto/tel; for images, `cid:`, the reference to an inline image of the message,
which a browser cannot load and a mail client can). Links get `rel="noopener noreferrer"`.
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
    "*": {"style"},
}
# Inline style properties kept (the rest of a `style` attribute is dropped): text only, no
# positioning (a `position: fixed` overlay can cover the app) and no URLs.
STYLE_PROPERTIES = frozenset({
    "color", "background-color", "font-family", "font-size", "font-style", "font-weight", "text-align",
    "text-decoration", "white-space", "vertical-align", "border", "border-collapse", "padding", "margin",
    "width", "height", "line-height",
})
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "cid"})
IMAGE_SOURCES = ("http://", "https://", "cid:")
# Tags removed with everything inside them, not just unwrapped.
DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "head"})


def sanitise_html(html: str) -> str:
    """The body with only the allowed formatting left (see the module docstring)."""
    return nh3.clean(html, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(URL_SCHEMES),
                     clean_content_tags=set(DROPPED_WITH_CONTENT), link_rel="noopener noreferrer",
                     filter_style_properties=set(STYLE_PROPERTIES),
                     attribute_filter=_no_images_from_mail_links)


def _no_images_from_mail_links(tag: str, attribute: str, value: str) -> str | None:
    """An image's source is a web address or an inline part; a link's is not `cid:`."""
    if tag == "img" and attribute == "src" and not value.lower().lstrip().startswith(IMAGE_SOURCES):
        return None
    if tag == "a" and attribute == "href" and value.lower().lstrip().startswith("cid:"):
        return None
    return value
