"""Static files of plugins (``/static/plugins/<name>/``) and of the site folder (``/static/site/``)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from flask import Flask, abort, send_from_directory

if TYPE_CHECKING:
    from ..app import MarketplaceState


def register_plugin_static(app: Flask, mk: MarketplaceState) -> None:
    folders: dict[str, Path] = {name: path for name, path in mk.plugin_dirs("static")}
    site_static = mk.settings.theme["static_folder"]
    if site_static:
        folders["site"] = Path(mk.settings.app["config_dir"]) / site_static

    def plugin_static(plugin: str, filename: str):
        folder = folders.get(plugin)
        if folder is None:
            abort(404)
        return send_from_directory(folder, filename, max_age=3600)

    app.add_url_rule("/static/plugins/<plugin>/<path:filename>", "plugin_static", plugin_static)
    app.add_url_rule(
        "/static/site/<path:filename>",
        "site_static",
        lambda filename: plugin_static("site", filename),
    )
