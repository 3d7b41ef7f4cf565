"""The patient's language: which one a patient page is in, how it is chosen, and the words for each language.

`flask.session["language"]` holds the patient's choice (a code from the LANGUAGES setting: "en", "es"; absent
means not chosen yet). The first patient page takes the best match of the browser's Accept-Language among the
languages the clinic offers and keeps it there; the switch on every patient page changes it. A language the clinic
does not offer is never used. Clinicians' and admins' pages are always in the clinic's language, English, whatever
the session holds: a clinician must always read the clinic's language.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

from babel import Locale, UnknownLocaleError
from flask import current_app, g, has_request_context, request, session
from flask_babel import Babel, get_babel, get_locale, get_translations, gettext
from werkzeug.exceptions import HTTPException

from screening import clock
from screening.domain.rules import TREATMENT_NAMES
from screening.errors import N_
from screening.services.rules.rulebook import offered_languages
from screening.web.errors import for_staff

CLINIC_LANGUAGE = "en"
SESSION_KEY = "language"


# Words the domain and services give in English that patient pages show, translated in the templates with
# `_(word)`: listed here so `make translations-extract` puts them in the catalogue.
SHOWN_WORDS = (
    # domain.patient_page.headline
    N_("Your appointment is booked"),
    N_("You can book one of the treatments you asked about"),
    N_("You can book a consultation"),
    N_("Please fill in the health questions again"),
    N_("The clinic has a question for you"),
    N_("A clinician will look at your answers"),
    N_("It's best to wait before treatment"),
    N_("We can't book this treatment online"),
    # domain.rules.TREATMENT_NAMES and services.treatment.TREATMENT_WORDS
    N_("Anti-wrinkle injections"),
    N_("Dermal filler"),
    N_("anti-wrinkle injections"),
    N_("dermal fillers"),
    N_("Dermal fillers"),  # services.products.TREATMENT_NAMES
    # the outcome and rule levels the patient's copy names (domain.rules)
    N_("clear"),
    N_("caution"),
    N_("review"),
    N_("defer"),
    N_("decline"),
    # domain.consent.OPTIONS
    N_("Photographs for my clinical record"),
    N_("Photographs for teaching or marketing"),
    N_("A letter to my GP about the treatment"),
)


def offered() -> list[str]:
    """The languages the clinic offers patients, English (the clinic's language) first: each one LANGUAGES lists
    whose clinical wording is complete and approved by a clinician (rulebook.offered_languages). A language listed
    but not yet approved is not offered: the server's log and `screening rules check` say why."""
    return list(offered_languages())


def offered_in(config) -> list[str]:
    value = config.get("LANGUAGES") or CLINIC_LANGUAGE
    codes = value if isinstance(value, list) else value.split(",")
    found = [CLINIC_LANGUAGE]
    for code in (str(c).strip() for c in codes):
        if code and code not in found:
            found.append(code)
    return found


def patient_language() -> str:
    """The current patient's language code: their choice, else the browser's best offered match (kept in the
    session from then on), else English. Outside a request: English."""
    if not has_request_context():
        return CLINIC_LANGUAGE
    languages = offered()
    if len(languages) == 1:  # English only: nothing to choose, nothing kept in the session
        return CLINIC_LANGUAGE
    chosen = session.get(SESSION_KEY)
    if chosen in languages:
        return chosen
    best = request.accept_languages.best_match(languages) or CLINIC_LANGUAGE
    if best not in languages:  # werkzeug gives back the offered spelling; a defence all the same
        best = CLINIC_LANGUAGE
    session[SESSION_KEY] = best
    return best


def page_locale() -> str:
    """Flask-Babel's locale selector: the patient's language on patient pages, English on the clinic's pages."""
    if not has_request_context() or for_staff():
        return CLINIC_LANGUAGE
    return patient_language()


def keep_language_through(clear) -> None:
    """Run `clear` (a session.clear) and keep the patient's language choice: starting again is not a new person."""
    chosen = session.get(SESSION_KEY)
    clear()
    if chosen is not None:
        session[SESSION_KEY] = chosen


@cache
def own_name(code: str) -> str:
    """A language's name in that language, as the switch shows it: "English", "Español"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


@cache
def english_name(code: str) -> str:
    """A language's name in English, for the clinician's pages: "Spanish"."""
    return Locale.parse(code).get_display_name(CLINIC_LANGUAGE) or code


def answered_in(code: str | None) -> str:
    """The clinician's "Answered in Spanish": the English name of a screening's language; empty for English."""
    if not code or code == CLINIC_LANGUAGE:
        return ""
    try:
        return english_name(code)
    except (ValueError, UnknownLocaleError):
        return code


def html_lang(code: str) -> str:
    """The BCP 47 tag for <html lang> and a link's lang attribute: en -> en-GB (the clinic's), es_ES -> es-ES."""
    return "en-GB" if code == CLINIC_LANGUAGE else code.replace("_", "-")


def back_here() -> str:
    """Where the switch comes back to: this page, or, for a page shown in answer to a form sent to an address that
    has no page of its own (signing a consent), the page that form belongs to, else the start."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    try:
        current_app.url_map.bind("localhost").match(request.path, method="GET")
    except HTTPException:
        referrer = urlsplit(request.referrer or "")
        return safe_next(referrer.path) if referrer.netloc == request.host else "/"
    return request.path


def safe_next(target: str | None) -> str:
    """A same-site path to go back to after switching language; anything else (another site, a scheme, a
    protocol-relative //host, a backslash trick) gives the start page."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(ch) < 32 for ch in target):
        return "/"
    return target


# --------------------------------------------------------------------------------------------------------------------
# Flask-Babel, and the date words of patient pages


def init_app(app) -> None:
    """Flask-Babel with the catalogues in screening/translations/ (and any the settings add), the locale chosen per
    page, the language switch's words for templates; refuse to start when LANGUAGES names one with no catalogue."""
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", "translations")
    app.config["BABEL_DEFAULT_LOCALE"] = CLINIC_LANGUAGE
    Babel(app, locale_selector=page_locale)
    app.jinja_env.install_gettext_callables(  # Flask-Babel's own look the catalogue up again on every string
        lambda text: _page_catalogue().ugettext(text),
        lambda singular, plural, n: _page_catalogue().ungettext(singular, plural, n),
        newstyle=True,
    )
    with app.app_context():
        missing = [code for code in offered_in(app.config)[1:] if not _has_catalogue(code)]
    if missing:
        raise LanguageNotAvailable(
            f"LANGUAGES names {', '.join(missing)}, which has no catalogue (screening/translations/<code>/"
            "LC_MESSAGES/messages.mo): run `make translations-compile`, or take it out of LANGUAGES"
        )
    app.context_processor(_template_words)
    app.add_template_filter(answered_in, "answered_in")


def _page_catalogue():
    """The page's catalogue, looked up once a request for the templates' strings (a page has dozens). Templates are
    rendered only in the page's own locale: an email in another language is written in Python under force_locale,
    with Flask-Babel's gettext."""
    try:
        return g.page_catalogue
    except AttributeError:
        g.page_catalogue = found = get_translations()
        return found


class LanguageNotAvailable(RuntimeError):
    """LANGUAGES offers a language with no compiled catalogue: the server would show it in English."""


def _has_catalogue(code: str) -> bool:
    try:
        Locale.parse(code)
    except (ValueError, TypeError, UnknownLocaleError):
        return False
    return any(
        (Path(directory) / code / "LC_MESSAGES" / "messages.mo").is_file()
        for directory in get_babel().translation_directories
    )


def _template_words() -> dict:
    if not has_request_context() or for_staff():
        return {"page_language": CLINIC_LANGUAGE, "page_lang": html_lang(CLINIC_LANGUAGE), "languages": []}
    current = patient_language()
    choices = [
        {"code": code, "name": own_name(code), "lang": html_lang(code), "current": code == current}
        for code in offered()
    ]
    return {
        "page_language": current,
        "page_lang": html_lang(current),
        "languages": choices if len(choices) > 1 else [],
        "language_next": back_here() if len(choices) > 1 else "/",
        "treatment_names": {key: gettext(name) for key, name in TREATMENT_NAMES.items()},
    }


def current_code() -> str:
    """The page's locale as a code ("en", "es", a test's pseudo-locale)."""
    return str(get_locale() or CLINIC_LANGUAGE)


def readable_date(value: str) -> str:
    """The `readable_date` filter: 'Saturday 7 June 2025' on English pages, the patient's own words elsewhere
    ('sábado, 7 de junio de 2025')."""
    return clock.readable_date_in(date.fromisoformat(value), current_code())


def clinic_time(value: str, tz) -> str:
    """The `clinic_time` filter: a stored UTC moment in the clinic's zone in the page's language."""
    return clock.readable_in(value, tz, current_code())


def span_words(span: timedelta) -> str:
    """A length of time in the page's language: '24 hours' in English, '24 horas' (clock.span_in_words)."""
    return clock.span_in_words(span, current_code())
