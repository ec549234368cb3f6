"""Two apps with different plugins in one process each see their own translations."""

from __future__ import annotations

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from flask_babel import force_locale, gettext

MSG = "A plugin-only message"


def _plugin_with_catalog(install_distribution, tmp_path) -> None:
    install_distribution(
        "mk-babeldemo", {"babeldemo": "mk_babeldemo"}, {"mk_babeldemo": "MK_DEMO = False\n"}
    )
    folder = tmp_path / "site-mk-babeldemo" / "translations" / "ru" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    catalog = Catalog(locale="ru")
    catalog.add(MSG, "Сообщение только из плагина")
    with open(folder / "messages.mo", "wb") as fh:
        write_mo(fh, catalog)


def _translate(app) -> str:
    with app.test_request_context("/"), force_locale("ru"):
        return gettext(MSG)


def test_translation_catalogs_are_cached_per_app(app_factory, install_distribution, tmp_path):
    _plugin_with_catalog(install_distribution, tmp_path)
    plain = app_factory({"site": {"locales": ["en", "ru"]}}, plugins=[])
    with_plugin = app_factory({"site": {"locales": ["en", "ru"]}}, plugins=["babeldemo"])
    # the app without the plugin loads (and caches) its catalog first
    assert _translate(plain) == MSG
    assert _translate(with_plugin) == "Сообщение только из плагина"
    assert _translate(plain) == MSG
    # and the core's own strings are translated in both
    for app in (plain, with_plugin):
        with app.test_request_context("/"), force_locale("ru"):
            assert gettext("Sign in") != "Sign in"
