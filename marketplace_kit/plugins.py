"""The per-app plugin manager: discovery, loading, validation, registries.

One :class:`PluginManager` per app lives in ``app.extensions["marketplace_kit"].pm``.
No module-global state: two apps with different plugin sets run side by side.
"""

from __future__ import annotations

import importlib
import logging
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points
from types import ModuleType
from typing import Any

import pluggy
from marshmallow import Schema
from marshmallow import ValidationError as MMValidationError

from . import hookspecs
from .config import Settings, describe_errors
from .errors import PluginError

ENTRY_POINT_GROUP = "marketplace_kit"
TRACE_ENV = "MARKETPLACE_TRACE_HOOKS"
log = logging.getLogger("marketplace_kit.plugins")

#: Core modules registered as built-in plugins in every app, in this order.
BUILTIN_PLUGINS = (
    "marketplace_kit.builtin.defaults",
    "marketplace_kit.builtin.web",
    "marketplace_kit.builtin.listings",
    "marketplace_kit.builtin.orders",
    "marketplace_kit.builtin.notifications",
    "marketplace_kit.builtin.moderation",
    "marketplace_kit.builtin.trust",
    "marketplace_kit.builtin.stats",
)


@dataclass(frozen=True)
class AvailablePlugin:
    """An installed plugin distribution, found through its entry point."""

    name: str
    value: str
    distribution: str | None
    version: str | None
    entry_point: EntryPoint = field(repr=False, compare=False)


def available_plugins() -> dict[str, AvailablePlugin]:
    """Every installed plugin under the ``marketplace_kit`` entry-point group."""
    found: dict[str, AvailablePlugin] = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(ep, "dist", None)
        found[ep.name] = AvailablePlugin(
            name=ep.name,
            value=ep.value,
            distribution=dist.metadata["Name"] if dist else None,
            version=dist.version if dist else None,
            entry_point=ep,
        )
    return dict(sorted(found.items()))


@dataclass
class LoadedPlugin:
    name: str
    obj: Any
    version: str | None
    distribution: str | None
    builtin: bool
    package: str | None  # top-level import package that owns models, templates, migrations

    @property
    def module_file(self) -> str | None:
        mod = importlib.import_module(self.package) if self.package else None
        return getattr(mod, "__file__", None)


def _top_package(obj: Any) -> str | None:
    modname = obj.__name__ if isinstance(obj, ModuleType) else getattr(obj, "__module__", None)
    return modname.split(".")[0] if modname else None


class PluginManager(pluggy.PluginManager):
    """pluggy's manager plus what marketplace-kit needs: names, versions, registries."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.add_hookspecs(hookspecs)
        self.loaded: dict[str, LoadedPlugin] = {}

    # -- loading ------------------------------------------------------------
    def add(
        self,
        name: str,
        obj: Any,
        *,
        version: str | None = None,
        distribution: str | None = None,
        builtin: bool = False,
    ) -> None:
        if name in self.loaded:
            raise PluginError(f"plugin {name!r} is registered twice")
        try:
            self.register(obj, name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginError(f"plugin {name!r} has an invalid hook implementation: {exc}") from exc
        except ValueError as exc:
            raise PluginError(f"plugin {name!r} could not be registered: {exc}") from exc
        self.loaded[name] = LoadedPlugin(
            name=name,
            obj=obj,
            version=version,
            distribution=distribution,
            builtin=builtin,
            package=None if builtin else _top_package(obj),
        )

    def load_builtins(self) -> None:
        for modname in BUILTIN_PLUGINS:
            module = importlib.import_module(modname)
            self.add("core." + modname.rsplit(".", 1)[1], module, builtin=True)

    def load_enabled(self, enabled: Iterable[str]) -> None:
        installed = available_plugins()
        missing = [n for n in enabled if n not in installed]
        if missing:
            names = ", ".join(installed) or "none"
            raise PluginError(
                f"plugin(s) {', '.join(repr(m) for m in missing)} enabled in [plugins] "
                f"but not installed; installed plugins: {names}"
            )
        for name in enabled:
            info = installed[name]
            try:
                obj = info.entry_point.load()
            except Exception as exc:
                raise PluginError(
                    f"plugin {name!r} ({info.distribution} {info.version}) failed to import: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
            self.add(name, obj, version=info.version, distribution=info.distribution)

    def check(self) -> None:
        """Every hookimpl must match a hookspec; name the plugin that has a stray one."""
        try:
            self.check_pending()
        except pluggy.PluginValidationError as exc:
            plugin_name = self.get_name(exc.plugin) if exc.plugin is not None else "?"
            raise PluginError(f"plugin {plugin_name!r}: {exc}") from exc

    # -- calling --------------------------------------------------------------
    def call_each(self, hook_name: str, **kwargs: Any) -> list[tuple[str, Any]]:
        """Call a hook and keep which plugin answered what, in pluggy's call order."""
        hook = getattr(self.hook, hook_name)
        results: list[tuple[str, Any]] = []
        for impl in reversed(hook.get_hookimpls()):
            args = {a: kwargs[a] for a in impl.argnames if a in kwargs}
            try:
                res = impl.function(**args)
            except Exception as exc:
                raise PluginError(
                    f"plugin {impl.plugin_name!r} failed in {hook_name}: {type(exc).__name__}: {exc}"
                ) from exc
            if self._tracing:
                log.info("hook %s answered by %s", hook_name, impl.plugin_name)
            if res is not None:
                results.append((impl.plugin_name, res))
        return results

    def collect(
        self, hook_name: str, kind: str, key: Callable[[Any], str], **kwargs: Any
    ) -> dict[str, tuple[str, Any]]:
        """Call a ``mk_register_*`` hook; return ``{key: (plugin, item)}``; stop on duplicates."""
        seen: dict[str, tuple[str, Any]] = {}
        for plugin_name, items in self.call_each(hook_name, **kwargs):
            if not isinstance(items, list | tuple):
                raise PluginError(
                    f"plugin {plugin_name!r}: {hook_name} must return a list, not {type(items).__name__}"
                )
            for item in items:
                k = key(item)
                if k in seen:
                    raise PluginError(
                        f"duplicate {kind} {k!r}: registered by plugin {seen[k][0]!r} "
                        f"and by plugin {plugin_name!r}"
                    )
                seen[k] = (plugin_name, item)
        return seen

    _tracing = False

    def enable_tracing(self) -> None:
        self._tracing = True

        def before(hook_name: str, impls: list[pluggy.HookImpl], kwargs: dict[str, Any]) -> None:
            log.info(
                "hook %s(%s) -> plugins: %s",
                hook_name,
                ", ".join(sorted(kwargs)),
                ", ".join(i.plugin_name for i in reversed(impls)) or "none",
            )

        def after(outcome: Any, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
            exc = outcome.exception
            if exc is not None:
                log.info("hook %s raised %s", hook_name, type(exc).__name__)
            else:
                log.info("hook %s answered: %r", hook_name, outcome.get_result())

        self.add_hookcall_monitoring(before, after)

    # -- config ---------------------------------------------------------------
    def load_plugin_settings(self, settings: Settings) -> None:
        """Validate each plugin's ``[plugins.<name>]`` section with its own schema."""
        from .errors import ConfigError

        problems: list[tuple[str, str]] = []
        schemas: dict[str, Schema] = {}
        for impl in self.hook.mk_config_schema.get_hookimpls():
            res = impl.function()
            if res is None:
                continue
            schemas[impl.plugin_name] = res() if isinstance(res, type) else res
        for name, plugin in self.loaded.items():
            if plugin.builtin:
                continue
            raw = settings.raw_plugin_sections.get(name, {})
            schema = schemas.get(name)
            if schema is None:
                if raw:
                    problems.append(
                        (f"{settings.source}: [plugins.{name}]", "this plugin takes no settings")
                    )
                settings.plugins[name] = {}
                continue
            try:
                settings.plugins[name] = schema.load(raw)
            except MMValidationError as exc:
                problems.extend(describe_errors(settings.source, f"plugins.{name}", exc.messages))
        if problems:
            raise ConfigError(problems)


def build_plugin_manager(settings: Settings, extra_plugins: Iterable[Any] = ()) -> PluginManager:
    pm = PluginManager()
    if os.environ.get(TRACE_ENV, "").lower() in {"1", "true", "yes"}:
        pm.enable_tracing()
    pm.load_builtins()
    pm.load_enabled(settings.enabled_plugins)
    for i, obj in enumerate(extra_plugins):
        name = getattr(obj, "mk_plugin_name", None) or getattr(obj, "__name__", None) or f"extra{i}"
        pm.add(str(name), obj)
    pm.check()
    pm.load_plugin_settings(settings)
    return pm
