"""The web layer: pages, API, console, templates and static files."""
