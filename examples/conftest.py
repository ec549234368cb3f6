"""Each example's smoke test builds the site from its own marketplace.toml."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture
def example_app(app_factory, request):
    """``example_app("tea_coop")``: the example's config on a fresh test database."""

    def build(name: str):
        folder = HERE / name
        config = tomllib.loads((folder / "marketplace.toml").read_text(encoding="utf-8"))
        config.setdefault("app", {})["config_dir"] = str(folder)
        return app_factory(config)

    return build
