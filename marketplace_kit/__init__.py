"""marketplace-kit: white-label niche marketplaces from a small core and plugins.

Public API: :func:`create_app`, :data:`hookimpl`, :class:`Money`, the errors,
and :func:`plugin_settings`.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .app import create_app, plugin_settings, state
from .errors import (
    ConfigError,
    Conflict,
    MarketplaceError,
    NotFound,
    PermissionDenied,
    PluginError,
    StartupError,
    ValidationError,
)
from .hookspecs import hookimpl
from .jobs import Job
from .money import Money

__all__ = [
    "ConfigError",
    "Conflict",
    "Job",
    "MarketplaceError",
    "Money",
    "NotFound",
    "PermissionDenied",
    "PluginError",
    "StartupError",
    "ValidationError",
    "create_app",
    "hookimpl",
    "plugin_settings",
    "state",
]
