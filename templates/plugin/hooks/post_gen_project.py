"""Compile the new plugin's message catalogs (.po -> .mo) so it runs at once."""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

package = Path("{{ cookiecutter.package }}")
for po_path in package.glob("translations/*/LC_MESSAGES/messages.po"):
    with po_path.open("rb") as fh:
        catalog = read_po(fh)
    with po_path.with_suffix(".mo").open("wb") as fh:
        write_mo(fh, catalog)
