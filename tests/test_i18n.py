"""Every UI string of the core and of each in-repo plugin is translated into zh_Hans and ru."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ("zh_Hans", "ru")
PACKAGES = [
    ROOT / "marketplace_kit",
    *sorted(p.parent for p in ROOT.glob("plugins/*/marketplace_kit_*/__init__.py")),
]
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_l": None,
    "N_": None,
    "lazy_gettext": None,
    "lazy_ngettext": (1, 2),
}
METHODS = [
    ("**.py", "python"),
    ("**/templates/**.html", "jinja2"),
    ("**/templates/**.txt", "jinja2"),
]


def source_messages(package: Path) -> set[str]:
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
        str(package), METHODS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def catalog(package: Path, locale: str, kind: str = "po"):
    path = package / "translations" / locale / "LC_MESSAGES" / f"messages.{kind}"
    assert path.exists(), f"missing catalog {path.relative_to(ROOT)}"
    with path.open("rb") as fh:
        return read_po(fh, locale=locale) if kind == "po" else read_mo(fh)


def translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and "fuzzy" not in message.flags


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("locale", LOCALES)
def test_every_string_is_translated(package, locale):
    messages = source_messages(package)
    assert messages, f"no translatable strings found in {package.name}"
    po = catalog(package, locale)
    missing = sorted(m for m in messages if m not in po or not translated(po[m]))
    assert missing == [], f"untranslated in {package.name}/{locale}; run scripts/i18n.sh"


@pytest.mark.parametrize("package", PACKAGES, ids=lambda p: p.name)
@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_matches_source(package, locale):
    po, mo = catalog(package, locale), catalog(package, locale, "mo")

    def norm(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    expected = {norm(m.id): norm(m.string) for m in po if m.id and translated(m)}
    actual = {norm(m.id): norm(m.string) for m in mo if m.id}
    assert actual == expected, f"{package.name}/{locale}: run scripts/i18n.sh compile"


def test_pages_are_served_in_the_visitors_language(client):
    zh = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "跳到正文" in zh and ">首页<" in zh
    ru = client.get("/missing", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "Страница не найдена" in ru
