"""Panels plugins add to the statistics dashboard (``mk_console_stats_panels``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ...errors import PluginError

KEY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class StatsPanel:
    """A table (and optionally a chart) shown on ``/console/stats`` for the chosen period.

    ``columns`` are the column headings, ``rows`` lists of cells (text,
    numbers or :class:`~marketplace_kit.money.Money`, which is shown in its
    currency and exported to CSV as minor units plus currency). ``chart =
    "bar"`` draws the second column as bars labelled by the first. ``key``
    (lower case letters, digits, ``-``, ``_``; unique on the page, start it
    with the plugin name) names the CSV export ``?format=csv&table=panel-<key>``.
    """

    key: str
    title: Any
    columns: list[Any]
    rows: list[list[Any]] = field(default_factory=list)
    description: Any = ""
    chart: str | None = None
    order: int = 100

    def sort_key(self) -> tuple[int, str]:
        return (self.order, self.key)


def collect(pm: Any, period: Any) -> list[StatsPanel]:
    """Every plugin's panels for ``period``, validated and sorted; duplicates stop with both names."""
    panels: dict[str, tuple[str, StatsPanel]] = {}
    for plugin, items in pm.call_each("mk_console_stats_panels", period=period):
        for panel in items or []:
            if not isinstance(panel, StatsPanel):
                raise PluginError(
                    f"plugin {plugin!r}: mk_console_stats_panels must return StatsPanel items"
                )
            if not KEY_RE.match(panel.key):
                raise PluginError(f"plugin {plugin!r}: stats panel key {panel.key!r} is invalid")
            if panel.chart not in (None, "bar"):
                raise PluginError(f"plugin {plugin!r}: stats panel chart must be None or 'bar'")
            if panel.key in panels:
                raise PluginError(
                    f"stats panel {panel.key!r} is returned by both "
                    f"{panels[panel.key][0]!r} and {plugin!r}"
                )
            panels[panel.key] = (plugin, panel)
    return sorted((p for _, p in panels.values()), key=StatsPanel.sort_key)
