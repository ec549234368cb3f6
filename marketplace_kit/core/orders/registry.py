"""The per-app registry of processes (name -> version -> Process)."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from ...errors import NotFound, PluginError
from .actions import Action
from .process import Process, build_process

_EXT = "marketplace_kit_processes"


def install(app: Flask, collected: list[tuple[str, Any]], actions: dict[str, Action]) -> None:
    """Validate every registered process mapping; stop startup on problems or duplicates."""
    processes: dict[str, dict[int, Process]] = {}
    owners: dict[str, str] = {}
    for plugin, raw in collected:
        process = build_process(raw, actions, plugin)
        if process.key in owners:
            raise PluginError(
                f"duplicate process {process.key!r}: registered by plugin {owners[process.key]!r} "
                f"and by plugin {plugin!r}"
            )
        owners[process.key] = plugin
        processes.setdefault(process.name, {})[process.version] = process
    app.extensions[_EXT] = processes


def all_processes() -> dict[str, dict[int, Process]]:
    return current_app.extensions[_EXT]


def get_process(name: str, version: int | None = None) -> Process:
    """A process by name: the given version, or the latest for new orders."""
    versions = all_processes().get(name)
    if not versions:
        raise NotFound(f"There is no process {name!r}.")
    if version is None:
        return versions[max(versions)]
    if version not in versions:
        raise NotFound(f"Process {name!r} has no version {version}.")
    return versions[version]
