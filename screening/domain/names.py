"""Names compared the way people write them. Standard library only.

A patient signs the declaration by typing their full name; it must be the name they gave, but not byte for byte:
"Zoe O'Brien-Nguyen" typed on a keyboard without accents is the same name as "Zoë 🌸 O'Brien-Nguyễn" in the details.
Both are folded the same way (Unicode NFKD, accents removed, case folded, emoji, symbols, punctuation and spacing
left out) and compared; letters and digits, in order, must agree.
"""

from __future__ import annotations

import unicodedata

# Letters that NFKD does not split into a plain letter and an accent.
_PLAIN = str.maketrans({"ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ı": "i", "æ": "ae", "œ": "oe", "þ": "th", "ð": "d"})


def folded(name: str) -> str:
    """The name's letters and digits only, without accents, case folded: what two spellings of it share."""
    decomposed = unicodedata.normalize("NFKD", name.casefold()).translate(_PLAIN)
    kept = (ch for ch in decomposed if unicodedata.category(ch)[0] in "LN")  # letters and numbers; marks go
    return unicodedata.normalize("NFKD", "".join(kept).casefold())


def same_name(typed: str, given: str) -> bool:
    """Whether the typed name is the given one, as people write names; nothing typed is never a match."""
    plain = folded(typed)
    return bool(plain) and plain == folded(given)


def shown(name: str) -> str:
    """A name as a message quotes it: without emoji or other symbols, spacing made single."""
    return " ".join("".join(ch for ch in name if unicodedata.category(ch)[0] != "S").split())


def name_mismatch(typed: str, given: str) -> str | None:
    """What the patient is told when the typed name is not the given one (None when it is). It quotes only the two
    names of this patient: the one just typed and the one given in their own details."""
    if same_name(typed, given):
        return None
    if not folded(typed):
        return f"Type your full name as you gave it: {shown(given)}"
    return f"The name you typed, {shown(typed)}, does not match the name you gave, {shown(given)}"
