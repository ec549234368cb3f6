from __future__ import annotations

from pathlib import Path

import pytest

from marketplace_kit import ConfigError, create_app
from marketplace_kit.config import load_settings


def problems(exc: ConfigError) -> dict[str, str]:
    return dict(exc.problems)


def test_defaults_without_any_config():
    settings = load_settings(None, environ={})
    assert settings.source == "<defaults>"
    assert settings.site["currency"] == "USD"
    assert settings.site["locales"] == ["en", "zh_Hans", "ru"]
    assert settings.enabled_plugins == []


def test_reads_a_toml_file_and_env_overrides(tmp_path: Path):
    path = tmp_path / "marketplace.toml"
    path.write_text(
        '[site]\nname = "Cleaners"\ncurrency = "CNY"\ndefault_locale = "zh_Hans"\n'
        '[database]\nurl = "sqlite:///from-file.db"\n'
    )
    settings = load_settings(
        path,
        environ={
            "DATABASE_URL": "postgresql://db/prod",
            "SECRET_KEY": "s3",
            "REDIS_URL": "redis://r",
        },
    )
    assert settings.site["name"] == "Cleaners"
    assert settings.site["currency"] == "CNY"
    assert settings.database_url == "postgresql://db/prod"
    assert settings.secret_key == "s3"
    assert settings.redis_url == "redis://r"
    assert settings.app["config_dir"] == str(tmp_path.resolve())


def test_marketplace_config_env_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = tmp_path / "m.toml"
    path.write_text('[site]\nname = "From env"\n')
    monkeypatch.setenv("MARKETPLACE_CONFIG", str(path))
    assert load_settings(None).site["name"] == "From env"


def test_every_problem_names_file_section_and_key(tmp_path: Path):
    path = tmp_path / "bad.toml"
    path.write_text(
        '[site]\ncurrency = "DOLLARS"\ntimezone = "Mars/Base"\ncolour = "red"\n'
        '[theme]\nprimary_color = "url(javascript:x)"\n'
        "[nonsense]\nx = 1\n"
    )
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    found = problems(info.value)
    assert "not an ISO 4217 currency code" in found[f"{path}: [site] currency"]
    assert "IANA time zone" in found[f"{path}: [site] timezone"]
    assert found[f"{path}: [site] colour"] == "Unknown field."
    assert "CSS colour" in found[f"{path}: [theme] primary_color"]
    assert "unknown section" in found[f"{path}: [nonsense]"]
    assert str(path) in str(info.value)


def test_default_locale_must_be_offered():
    with pytest.raises(ConfigError) as info:
        load_settings({"site": {"default_locale": "ru", "locales": ["en"]}}, environ={})
    assert "must be one of locales" in problems(info.value)["<mapping>: [site] default_locale"]


def test_fee_rule_bounds_are_checked():
    with pytest.raises(ConfigError) as info:
        load_settings({"fees": {"rules": [{"name": "x", "percent": 120}]}}, environ={})
    assert "<mapping>: [fees] rules.0.percent" in problems(info.value)
    with pytest.raises(ConfigError) as info:
        load_settings(
            {"fees": {"rules": [{"name": "x", "percent": 10, "minimum": 5, "maximum": 1}]}},
            environ={},
        )
    assert problems(info.value) == {
        "<mapping>: [fees] rules.0.maximum": "maximum must not be below minimum"
    }


def test_plugin_sections_must_belong_to_enabled_plugins():
    with pytest.raises(ConfigError) as info:
        load_settings({"plugins": {"enabled": ["a"], "b": {"x": 1}, "oops": 3}}, environ={})
    found = problems(info.value)
    assert "not in [plugins] enabled" in found["<mapping>: [plugins.b]"]
    assert "unknown key" in found["<mapping>: [plugins] oops"]


def test_invalid_toml_and_missing_file(tmp_path: Path):
    broken = tmp_path / "broken.toml"
    broken.write_text("[site\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(broken, environ={})
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "missing.toml", environ={})


def test_secret_key_is_required_outside_debug_and_demo(monkeypatch: pytest.MonkeyPatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("MARKETPLACE_DEBUG", raising=False)
    config = {"app": {"instance_path": str(tmp_path)}}
    with pytest.raises(Exception, match="SECRET_KEY is not set"):
        create_app(config)
    assert create_app({"app": {"demo": True, "instance_path": str(tmp_path)}}).secret_key
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    assert create_app(config).secret_key == "x" * 64
