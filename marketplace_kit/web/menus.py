"""Navigation links and page sections contributed by the core and plugins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: The pages that show plugin sections (``mk_page_sections(place=...)``).
PAGE_PLACES = ("listing", "order", "profile", "dashboard")


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
    """All the groups' links by ``order``, then by label (translated, so only on a tie)."""
    links = [link for group in groups for link in (group or [])]
    if len({link.order for link in links}) == len(links):
        return sorted(links, key=lambda link: link.order)
    return sorted(links, key=Link.sort_key)


@dataclass(frozen=True)
class PageSection:
    """A block a plugin adds to a core page (see ``mk_page_sections``).

    ``template`` is rendered with ``context`` plus ``subject`` (the listing,
    order or user the page is about) and ``user`` (the viewer or ``None``).
    ``title`` becomes the section's heading; ``key`` must be unique on the
    page (use the plugin name) and is used for the heading's id.
    """

    key: str
    title: Any
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100

    def sort_key(self) -> tuple[int, str]:
        return (self.order, self.key)
