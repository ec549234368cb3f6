"""File storage behind one small interface; local folder by default.

``[storage] backend = "local"`` keeps files under ``<instance>/<folder>``.
Keys are relative POSIX paths made by the core (``avatars/12-3f9a.png``);
anything that would leave the folder is refused. Files are served by the
``media`` view at ``/media/<key>``.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

from flask import current_app

_KEY_RE = re.compile(r"^[a-z0-9_-]+(/[A-Za-z0-9_.-]+)+$")


class LocalStorage:
    def __init__(self, root: Path):
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY_RE.match(key) or ".." in key:
            raise ValueError(f"invalid storage key {key!r}")
        return self.root / key

    def save(self, key: str, data: bytes) -> str:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return key

    def read(self, key: str) -> bytes | None:
        try:
            path = self._path(key)
        except ValueError:
            return None
        return path.read_bytes() if path.is_file() else None

    def delete(self, key: str) -> None:
        with contextlib.suppress(ValueError):
            self._path(key).unlink(missing_ok=True)


def storage() -> LocalStorage:
    from ..app import state

    settings = state(current_app).settings.storage
    return LocalStorage(Path(current_app.instance_path) / settings["folder"])
