"""A pseudo-locale for tests: every message of the extracted catalogue (screening/translations/messages.pot) turned
into accented, lengthened text ("Šéñđ ɱý åñšŵéŕš ~~~~ ~"), placeholders (`%(name)s`, `{n}`), HTML tags and entities
kept as they are. A page shown in it has no plain ASCII word left except where a string escaped the catalogue.

The locale is `en_Dsrt` (English in the Deseret script): one Babel knows, so Flask-Babel accepts it and Babel's date
words for it are not Latin letters either; it is offered only in tests (LANGUAGES "en,en_Dsrt", with the folder
`build` returns added to BABEL_TRANSLATION_DIRECTORIES).

`ascii_words(html)` gives the plain English words of a page's text nodes, leaving out what is not the interface's to
translate: the clinical wording the other catalogue holds (elements marked `data-clinical`), what the patient wrote
(`data-patient-words`), the clinic's own typed words (`data-clinic-words`: a practitioner's name, the clinic's
question), anything in another language than the page (`lang`, as the language switch's names are), code and
scripts.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

PSEUDO = "en_Dsrt"
POT = Path(__file__).resolve().parents[1] / "screening" / "translations" / "messages.pot"
_KEPT = re.compile(r"%\([a-z_]+\)[sd]|%%|\{[a-z_]+\}|<[^>]+>|&[a-z]+;|\n")
_LETTERS = str.maketrans(
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "åƀçđéƒĝĥîĵķĺɱñöþǫŕšţûṽŵẋýžÅƁÇĐÉƑĜĤÎĴĶĹṀÑÖÞǪŔŠŢÛṼŴẊÝŽ",
)


def pseudo(text: str) -> str:
    """'Send my answers' -> 'Šéñđ ɱý åñšŵéŕš ~~~~ ~': letters accented, a third longer, placeholders kept."""
    if not text:
        return text
    pieces, last = [], 0
    for kept in _KEPT.finditer(text):
        pieces.append(text[last : kept.start()].translate(_LETTERS))
        pieces.append(kept.group())
        last = kept.end()
    pieces.append(text[last:].translate(_LETTERS))
    # a third longer, in words of up to four tildes: translations run longer in words, not in one unbreakable run
    extra = max(2, len(text) // 3)
    padding = ["~" * 4] * (extra // 4) + (["~" * (extra % 4)] if extra % 4 else [])
    return "".join(pieces) + " " + " ".join(padding)


def build(folder: Path) -> Path:
    """Write the pseudo catalogue under `folder` (folder/en_Dsrt/LC_MESSAGES/messages.mo); returns `folder`."""
    with POT.open("rb") as handle:
        template = read_po(handle)
    catalogue = Catalog(locale=PSEUDO)
    for message in template:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            catalogue.add(message.id, tuple(pseudo(form) for form in message.id))
        else:
            catalogue.add(message.id, pseudo(message.id))
    target = folder / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True, exist_ok=True)
    with (target / "messages.mo").open("wb") as handle:
        write_mo(handle, catalogue)
    return folder


# Settings whose words a page shows: given in pseudo words too, as a clinic would give its own in its language.
CLINIC_WORDS = {
    "CLINIC_NAME": pseudo("Our clinic").split(" ~")[0],
    "CLINIC_CONTACT": pseudo("Please phone or email the clinic.").split(" ~")[0],
    "REVIEW_TURNAROUND": pseudo("usually within 2 working days").split(" ~")[0],
}
PRACTITIONER = pseudo("Dr Ada").split(" ~")[0]

_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_MARKS = {"data-clinical", "data-patient-words", "data-clinic-words"}
_WORD = re.compile(r"[A-Za-z]{2,}")


class _Words(HTMLParser):
    def __init__(self, clinical: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.clinical = sorted(clinical, key=len, reverse=True)
        self.page_lang = ""
        self.open: list[tuple[str, bool]] = []
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        named = dict(attrs)
        if tag == "html":
            self.page_lang = named.get("lang") or ""
        left_out = bool(self.open and self.open[-1][1])
        left_out = left_out or tag in ("script", "style", "code") or bool(_MARKS & set(named))
        left_out = left_out or ("lang" in named and tag != "html" and named["lang"] != self.page_lang)
        if tag not in _VOID:
            self.open.append((tag, left_out))

    def handle_endtag(self, tag):
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                return

    def handle_data(self, data):
        if self.open and self.open[-1][1]:
            return
        for text in self.clinical:  # where no element can mark it: a section's title in <title>, an error summary
            data = data.replace(text, " ")
        self.found.extend(f"{word} (in “{data.strip()[:60]}”)" for word in _WORD.findall(data))


def ascii_words(html: str, clinical: tuple[str, ...] = ()) -> list[str]:
    """Each plain ASCII word of the page's text that the interface should have translated, with its text node;
    `clinical`: the clinical wording's texts, left out where they stand in a text of their own."""
    parser = _Words(clinical)
    parser.feed(html)
    return parser.found
