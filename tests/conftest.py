"""The core's tests use the same test kit as plugin authors (marketplace_kit.testing).

Only helpers that plugin authors do not need live here.
"""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest


@pytest.fixture
def install_distribution(tmp_path: Path) -> Iterator[Callable[..., None]]:
    """Make a real (importlib.metadata-visible) distribution with plugin entry points.

    ``install_distribution("mk-broken", {"broken": "mk_broken"}, {"mk_broken": "raise ..."})``
    writes the modules and a ``.dist-info`` folder on ``sys.path``.
    """
    added: list[str] = []
    modules: list[str] = []

    def install(dist: str, entry_points: dict[str, str], sources: dict[str, str]) -> None:
        root = tmp_path / f"site-{dist}"
        root.mkdir()
        for module, source in sources.items():
            (root / f"{module}.py").write_text(textwrap.dedent(source))
            modules.append(module)
        info = root / f"{dist.replace('-', '_')}-1.2.3.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: 1.2.3\n")
        lines = ["[marketplace_kit]"] + [f"{k} = {v}" for k, v in entry_points.items()]
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
        sys.path.insert(0, str(root))
        added.append(str(root))
        importlib.invalidate_caches()

    yield install
    for path in added:
        sys.path.remove(path)
    for module in modules:
        sys.modules.pop(module, None)
    importlib.invalidate_caches()
