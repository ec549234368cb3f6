"""docs/plugin_hooks.md documents every hookspec, with its real arguments and kind."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from marketplace_kit import hookspecs

DOC = Path(__file__).resolve().parent.parent / "docs" / "plugin_hooks.md"
ENTRY = re.compile(r"^### (mk_\w+)\(([^)]*)\)\n(firstresult|collects all)", re.MULTILINE)


def _specs() -> dict[str, tuple[list[str], bool]]:
    out = {}
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        opts = getattr(func, "marketplace_kit_spec", None)
        if name.startswith("mk_") and opts is not None:
            args = list(inspect.signature(func).parameters)
            out[name] = (args, bool(opts.get("firstresult")))
    return out


def _documented() -> dict[str, tuple[list[str], bool]]:
    out = {}
    for name, args, kind in ENTRY.findall(DOC.read_text(encoding="utf-8")):
        out[name] = ([a.strip() for a in args.split(",") if a.strip()], kind == "firstresult")
    return out


def test_every_hookspec_is_documented_correctly():
    specs, documented = _specs(), _documented()
    assert specs, "no hookspecs found"
    assert sorted(set(specs) - set(documented)) == [], "hooks missing from docs/plugin_hooks.md"
    assert sorted(set(documented) - set(specs)) == [], "documented hooks that do not exist"
    for name, (args, firstresult) in specs.items():
        assert documented[name] == (args, firstresult), f"{name} is documented wrongly"


def test_every_hookspec_has_a_docstring():
    for name, func in inspect.getmembers(hookspecs, inspect.isfunction):
        if name.startswith("mk_"):
            assert (func.__doc__ or "").strip(), f"{name} has no docstring"
