"""User content (Markdown or Stack Exchange HTML, with TeX) to safe HTML.

markdown-it-py renders Markdown (raw HTML allowed, since Stack Exchange bodies are HTML),
dollarmath keeps TeX away from the Markdown parser, and nh3 removes everything that could
run: scripts, event handlers, ``javascript:`` URLs, SVG/MathML, ``hx-*`` and ``style``; images
are dropped too (an external image would tell its author who reads a blind review, and when).
TeX stays as text between ``\\(…\\)``/``\\[…\\]`` delimiters; vendored KaTeX typesets it in
the browser with ``trust: false`` (so ``\\href`` and ``\\includegraphics`` stay inert).
"""

from functools import lru_cache
from html import escape

import nh3
from markdown_it import MarkdownIt
from mdit_py_plugins.dollarmath import dollarmath_plugin

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "details", "div", "dl", "dt",
    "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "kbd", "li", "ol", "p", "pre",
    "s", "span", "strike", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot",
    "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align"},
    "ol": {"start"},
    "code": {"class"},
    "span": {"class"},
    "div": {"class"},
}
ALLOWED_CLASSES = {
    "code": {"language-*"},
    "span": {"math-inline"},
    "div": {"math-block"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def _math_inline(self, tokens, idx, options, env) -> str:
    return f'<span class="math-inline">\\({escape(tokens[idx].content, quote=False)}\\)</span>'


def _math_block(self, tokens, idx, options, env) -> str:
    return f'<div class="math-block">\\[{escape(tokens[idx].content, quote=False)}\\]</div>\n'


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("js-default", {"html": True, "linkify": False, "typographer": False})
    md.use(dollarmath_plugin, allow_space=True, allow_digits=False, double_inline=True)
    md.add_render_rule("math_inline", _math_inline)
    md.add_render_rule("math_inline_double", _math_block)
    md.add_render_rule("math_block", _math_block)
    md.add_render_rule("math_block_label", _math_block)
    return md


def _language_class_filter(element: str, attribute: str, value: str) -> str | None:
    if attribute == "class":
        allowed = ALLOWED_CLASSES.get(element, set())
        kept = [
            c
            for c in value.split()
            if c in allowed or ("language-*" in allowed and c.startswith("language-"))
        ]
        return " ".join(kept) or None
    return value


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer ugc",
        attribute_filter=_language_class_filter,
        strip_comments=True,
    )


def render_user_content(text: str) -> str:
    """Markdown/HTML with TeX → sanitised HTML, safe to mark safe in a template."""
    if not text:
        return ""
    return sanitize_html(_markdown().render(text))

