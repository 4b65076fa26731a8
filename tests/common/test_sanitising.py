"""The XSS corpus: every payload must come out inert from the renderer and on the pages."""

from collections import Counter
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from django.urls import reverse

from common.rendering import render_user_content
from tests.factories import QuestionFactory

XSS_CORPUS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<img src=\"javascript:alert(1)\">",
    "<body onload=alert(1)>",
    "<a href=\"javascript:alert(1)\">click</a>",
    "<a href=\"JaVaScRiPt:alert(1)\">click</a>",
    "<a href=\"&#106;avascript:alert(1)\">encoded</a>",
    "<a href=\" javascript:alert(1)\">spaced</a>",
    "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>",
    "<a href=\"vbscript:msgbox(1)\">vb</a>",
    "[md link](javascript:alert(1))",
    "![md image](javascript:alert(1))",
    "<svg onload=alert(1)><circle r=5></circle></svg>",
    "<svg><script>alert(1)</script></svg>",
    "<svg><a xlink:href=\"javascript:alert(1)\"><text>x</text></a></svg>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)></style></mglyph></table></mtext></math>",
    "<math href=\"javascript:alert(1)\">CLICK</math>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<object data=\"javascript:alert(1)\"></object>",
    "<embed src=\"javascript:alert(1)\">",
    "<form action=\"javascript:alert(1)\"><button>go</button></form>",
    "<input autofocus onfocus=alert(1)>",
    "<details open ontoggle=alert(1)>",
    "<div style=\"background:url(javascript:alert(1))\">styled</div>",
    "<style>@import 'https://evil.example/x.css';</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<meta http-equiv=\"refresh\" content=\"0;url=javascript:alert(1)\">",
    "<base href=\"https://evil.example/\">",
    "<div hx-get=\"/admin/\" hx-trigger=\"load\" hx-target=\"body\">htmx</div>",
    "<button hx-post=\"/accounts/logout/\" hx-trigger=\"load\">x</button>",
    "<div data-hx-get=\"/admin/\" data-hx-trigger=\"load\">htmx data</div>",
    "<a href=\"/x\" hx-on:click=\"alert(1)\">hx-on</a>",
    "<p onclick=\"alert(1)\" onmouseover=alert(2)>handlers</p>",
    "<template><script>alert(1)</script></template>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\"></noscript>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<scr<script>ipt>alert(1)</script>",
    "\"><script>alert(1)</script>",
    "$\\href{javascript:alert(1)}{click}$",
    "$$\\includegraphics{https://evil.example/track.png}$$",
    "$\\url{javascript:alert(1)}$",
    "<span class=\"math-inline\" onclick=alert(1)>\\(x\\)</span>",
]

ACTIVE_TAGS = {
    "script", "iframe", "object", "embed", "form", "input", "button", "style", "link", "meta",
    "base", "svg", "math", "template", "noscript", "body", "frame", "frameset", "applet",
}  # fmt: skip
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")


class ActiveMarkup(HTMLParser):
    """Collects what a browser would treat as active: elements, handlers, hx-*, bad URLs."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: Counter = Counter()

    def handle_starttag(self, tag, attrs):
        if tag in ACTIVE_TAGS:
            self.found[f"<{tag}>"] += 1
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found[f"{tag}[{name}]"] += 1
            if name.startswith(("hx-", "data-hx-")):
                self.found[f"{tag}[{name}]"] += 1
            cleaned = "".join((value or "").split()).lower()
            if name in URL_ATTRIBUTES and cleaned.startswith(BAD_SCHEMES):
                self.found[f"{tag}[{name}={cleaned[:12]}]"] += 1


def active_markup(html: str) -> Counter:
    parser = ActiveMarkup()
    parser.feed(html)
    parser.close()
    return parser.found


def assert_inert(html: str) -> None:
    assert active_markup(html) == Counter(), html


@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_renderer_makes_every_payload_inert(payload):
    assert_inert(render_user_content(payload))


def test_safe_content_survives():
    html = render_user_content(
        "**bold** [ok](https://example.org) `code` <em>em</em>\n\n```python\nx = 1 < 2\n```"
    )
    assert "<strong>bold</strong>" in html
    assert 'href="https://example.org"' in html and 'rel="nofollow noopener noreferrer ugc"' in html
    assert '<code class="language-python">x = 1 &lt; 2' in html
    assert "<em>em</em>" in html


@pytest.mark.django_db
@pytest.mark.parametrize("payload", XSS_CORPUS)
def test_pages_render_payloads_inert(client, site, payload):
    """A page showing the payload has no more active markup than the same page showing text."""

    def pages(text: str) -> list[str]:
        question = QuestionFactory(
            site=site, title=text[:500], body=text, category=text[:100], tags=[text[:100]]
        )
        urls = (
            reverse("catalog:question_list") + "?q=" + quote(text[:50]),
            reverse("catalog:question_list") + "?tag=" + quote(text[:50]),
            reverse("catalog:question_detail", args=[question.pk]),
        )
        pages = [client.get(url).content.decode() for url in urls]
        question.delete()
        return pages

    for benign, hostile in zip(pages("plain words"), pages(payload), strict=True):
        assert active_markup(hostile) == active_markup(benign), hostile


def test_external_images_are_dropped_so_authors_cannot_track_readers():
    html = render_user_content('See ![plot](https://tracker.example/p.png) and <img src="https://tracker.example/q.png">.')
    assert "tracker.example" not in html and "<img" not in html
