"""Language and display preferences.  Chinese first; English one tap away; large print (适老化)."""

from __future__ import annotations

from babel import Locale
from flask import current_app, has_request_context, session

from ..services.locales import parsed_locale


# Each language named in itself (an endonym is never translated: a reader of the other language
# must recognise it).
LANGUAGE_NAMES = {"zh_CN": "中文", "en": "English"}


def select_locale() -> str:
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def babel_locale() -> Locale:
    """Flask-Babel's locale selector.  A parsed Locale is kept per language: parsing a name on
    every request cost more than rendering a small page."""
    return parsed_locale(select_locale())


def large_print() -> bool:
    return bool(session.get("large"))


def set_preferences(*, lang: str | None = None, large: str | None = None) -> None:
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    if large in ("0", "1"):
        session["large"] = large == "1"


def forget_preferences() -> None:
    """The next resident at a kiosk starts afresh."""
    for key in ("lang", "large"):
        session.pop(key, None)


def _translations():
    """The request's translations, looked up once.  Flask-Babel looks them up again for every
    string a template translates (dozens per page); this keeps them where Flask-Babel keeps the
    request's locale, so ``force_locale``/``refresh`` still start afresh."""
    from flask import g
    from flask_babel import get_translations

    ctx = getattr(g, "_flask_babel", None)
    found = getattr(ctx, "babel_translations", None)
    if found is None:
        found = get_translations()
        ctx = getattr(g, "_flask_babel", None)
        if ctx is not None:
            ctx.babel_translations = found
    return found


def init_app(app) -> None:
    # The same callables Flask-Babel installs, reading the request's translations once.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _i18n():
        from flask_babel import get_locale

        locale = str(get_locale())
        return {
            "current_lang": locale,
            "html_lang": "zh-CN" if locale.startswith("zh") else locale,
            "large_print": large_print(),
            "language_names": LANGUAGE_NAMES,
        }
