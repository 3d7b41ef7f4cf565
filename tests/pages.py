"""Reading the pages the app answers, as a browser sees them (html.parser, nothing else), and sending their forms back:
CSRF tokens, redirects, the visible text, elements and their attributes, field errors, the clinician's queue.

Walking through the product (the patient's form, booking, signing in, deciding) is tests/journeys.py.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION_KEY = re.compile(r'name="submission_key" value="([^"]*)"')

# --------------------------------------------------------------------------------------------------------------------
# Forms and redirects


def csrf_token(response) -> str:
    match = _CSRF.search(response.get_data(as_text=True))
    assert match, f"no csrf_token on the page {response.request.path}"
    return match.group(1)


def submission_key(response) -> str:
    match = _SUBMISSION_KEY.search(response.get_data(as_text=True))
    assert match, "no submission_key on the check page"
    return match.group(1)


def location(response) -> str:
    """The path (and query) a redirect points to."""
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def post_form(client, path: str, data: dict, page_path: str | None = None):
    """Open a page (for its CSRF token) and POST the form to `path`."""
    page = client.get(page_path or path)
    assert page.status_code == 200, page.status_code
    return client.post(path, data={**data, "csrf_token": csrf_token(page)})


def shown_after(client, response):
    """Post/redirect/get: the page a form sent with problems redirects to (asserting the 303), as the browser shows
    it."""
    assert response.status_code == 303, f"expected a redirect to the page with the problems, got {response.status_code}"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200, page.status_code
    return page


# --------------------------------------------------------------------------------------------------------------------
# Text, title and elements


class _Elements(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self._title = False
        self.title = ""
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "title":
            self._title = True
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag == "title":
            self._title = False
        if tag in ("script", "style"):
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if self._title:
            self.title += data
        if not self._skip:
            self.text.append(data)


def parse(response) -> _Elements:
    parser = _Elements()
    parser.feed(response.get_data(as_text=True))
    parser.close()
    return parser


def elements(response, tag: str | None = None, **attrs: str) -> list[dict[str, str | None]]:
    """The attributes of every element with this tag (any tag if None) whose attributes include `attrs`."""
    return [
        found
        for name, found in parse(response).elements
        if (tag is None or name == tag) and all(found.get(key) == value for key, value in attrs.items())
    ]


def page_text(response) -> str:
    """The visible text of a page, entities decoded and whitespace collapsed."""
    return " ".join(" ".join(parse(response).text).split())


def page_title(response) -> str:
    return " ".join(parse(response).title.split())


def error_summary_links(response) -> list[str]:
    """The hrefs of the links in the error summary (the role=alert box)."""
    parser = _SummaryLinks()
    parser.feed(response.get_data(as_text=True))
    return parser.links


class _SummaryLinks(HTMLParser):
    def __init__(self):
        super().__init__()
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if self.depth:
            self.depth += tag not in _VOID
            if tag == "a":
                self.links.append(attributes.get("href") or "")
        elif tag == "div" and attributes.get("role") == "alert":
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1


# --------------------------------------------------------------------------------------------------------------------
# The page as a tree


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None]):
        self.tag = tag
        self.attrs = attrs
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        parts: list[str] = []
        for child in self.children:
            parts.append(child if isinstance(child, str) else child.text())
        return " ".join(" ".join(parts).split())

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Node]:
        return [
            node
            for node in self.iter()
            if (tag is None or node.tag == tag) and all(node.attrs.get(k) == v for k, v in attrs.items())
        ]

    def by_id(self, element_id: str) -> Node | None:
        found = self.find_all(id=element_id)
        return found[0] if found else None


class _TreeBuilder(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag):
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def tree(response) -> Node:
    builder = _TreeBuilder()
    builder.feed(response.get_data(as_text=True))
    builder.close()
    return builder.root


def field_error(response, field_id: str) -> str:
    """The text of the error message shown next to a field (id="<field>-error"), or '' when there is none."""
    node = tree(response).by_id(f"{field_id}-error")
    return "" if node is None else node.text()


# --------------------------------------------------------------------------------------------------------------------
# The clinician's queue

_QUEUE_LINK = re.compile(r'href="/clinician/submissions/(\d+)"')
_NEXT_PAGE = re.compile(r'<a class="button button--secondary" href="([^"]+)">Next page</a>')
_COUNT = re.compile(r'<span class="counts__number">(\d+)</span>\s*([^<]+?)\s*</li>')


def listed_ids(response) -> list[int]:
    """The submissions a queue page lists, in order."""
    return [int(found) for found in _QUEUE_LINK.findall(response.get_data(as_text=True))]


def next_page_href(response) -> str | None:
    match = _NEXT_PAGE.search(response.get_data(as_text=True))
    return unescape(match.group(1)) if match else None


def shown_counts(response) -> dict[str, int]:
    """The per-state counts at the top of the queue, by their label."""
    return {label: int(n) for n, label in _COUNT.findall(response.get_data(as_text=True))}


# --------------------------------------------------------------------------------------------------------------------
# The result page's reasons


class _Sections(HTMLParser):
    """The result page's treatment sections: the treatments each names and the list items of its reasons."""

    def __init__(self):
        super().__init__()
        self.sections: list[tuple[tuple[str, ...], list[str]]] = []
        self._in_reasons = self._in_item = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section" and "data-treatments" in attrs:
            self.sections.append((tuple((attrs["data-treatments"] or "").split()), []))
        elif tag == "ul" and "reasons" in (attrs.get("class") or "").split() and self.sections:
            self._in_reasons = True
        elif tag == "li" and self._in_reasons:
            self._in_item = True
            self.sections[-1][1].append("")

    def handle_endtag(self, tag):
        if tag == "ul":
            self._in_reasons = False
        elif tag == "li":
            self._in_item = False

    def handle_data(self, data):
        if self._in_item:
            self.sections[-1][1][-1] += data


def shown_messages(page) -> list[tuple[tuple[str, ...], list[str]]]:
    parser = _Sections()
    parser.feed(page.get_data(as_text=True))
    return [(treatments, [" ".join(m.split()) for m in messages]) for treatments, messages in parser.sections]
