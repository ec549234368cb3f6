"""Navigation links contributed by the core and plugins."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Link:
    """A navigation link. ``label`` is shown as given (translate it with ``lazy_gettext``)."""

    label: str
    url: str
    order: int = 100
    key: str = ""

    def sort_key(self) -> tuple[int, str]:
        return (self.order, str(self.label))


def merge_links(groups: list[list[Link]]) -> list[Link]:
    links = [link for group in groups for link in (group or [])]
    return sorted(links, key=Link.sort_key)
