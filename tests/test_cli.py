"""The marketplace-kit command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from marketplace_kit.cli import main

SUBCOMMANDS = [
    ["plugins"],
    ["check"],
    ["db"],
    ["db", "upgrade"],
    ["db", "downgrade"],
    ["db", "current"],
    ["db", "revision"],
    ["run"],
    ["worker"],
    ["demo"],
    ["routes"],
    ["shell"],
]


def run(*args: str, env: dict[str, str] | None = None):
    base = {"SECRET_KEY": "", "DATABASE_URL": "", "MARKETPLACE_CONFIG": ""}
    return CliRunner().invoke(main, list(args), env={**base, **(env or {})})


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "marketplace.toml"
    path.write_text(f'[app]\ndebug = true\ninstance_path = "{tmp_path}/instance"\n' + text)
    return path


@pytest.mark.parametrize("args", SUBCOMMANDS, ids=" ".join)
def test_every_subcommand_has_help(args):
    result = run(*args, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage: " in result.output and "--help" in result.output


def test_check_accepts_a_good_config(tmp_path):
    path = write(tmp_path, '[plugins]\nenabled = ["sample"]\n')
    result = run("--config", str(path), "check")
    assert result.exit_code == 0, result.output
    assert f"ok: {path}; plugins: sample" in result.output


def test_check_rejects_an_unknown_plugin(tmp_path):
    path = write(tmp_path, '[plugins]\nenabled = ["ghost"]\n')
    result = run("--config", str(path), "check")
    assert result.exit_code == 1
    assert "error: plugin(s) 'ghost' enabled in [plugins] but not installed" in result.output
    assert "installed plugins:" in result.output


def test_check_rejects_a_bad_key(tmp_path):
    path = write(tmp_path, '[site]\ncurrency = "usd"\nnmae = "typo"\n')
    result = run("--config", str(path), "check")
    assert result.exit_code == 1
    assert (
        f"error: {path}: [site] currency: 'usd' is not an ISO 4217 currency code" in result.output
    )
    assert f"error: {path}: [site] nmae: Unknown field." in result.output


def test_check_rejects_a_bad_plugin_setting(tmp_path):
    path = write(tmp_path, '[plugins]\nenabled = ["sample"]\n[plugins.sample]\nmax_notes = -1\n')
    result = run("--config", str(path), "check")
    assert result.exit_code == 1
    assert (
        f"error: {path}: [plugins.sample] max_notes: Must be greater than or equal to 1"
        in result.output
    )


def test_check_reports_a_missing_secret_key(tmp_path):
    path = tmp_path / "prod.toml"
    path.write_text(f'[app]\ninstance_path = "{tmp_path}/i"\n')
    result = run("--config", str(path), "check")
    assert result.exit_code == 1
    assert "SECRET_KEY is not set" in result.output


def test_db_upgrade_current_downgrade(tmp_path):
    path = write(tmp_path, '[plugins]\nenabled = ["sample"]\n')
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}
    up = run("--config", str(path), "db", "upgrade", env=env)
    assert up.exit_code == 0, up.output
    current = run("--config", str(path), "db", "current", env=env)
    assert current.exit_code == 0
    down = run("--config", str(path), "db", "downgrade", "sample@base", env=env)
    assert down.exit_code == 0, down.output
    assert "database downgraded to sample@base" in down.output


def test_plugins_lists_available_plugins_as_json(tmp_path):
    import json

    path = write(tmp_path, "")
    result = run("--config", str(path), "plugins", "--json")
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["sample"]["enabled"] is False
    assert rows["sample"]["version"] == "0.3.0"


def test_routes_lists_core_routes(cli):
    result = cli("routes")
    assert "/healthz" in result.output and "main.healthz" in result.output


def test_bad_config_is_a_clean_error_not_a_traceback(tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[site\n")
    result = run("--config", str(path), "routes")
    assert result.exit_code == 1
    assert "not valid TOML" in result.output
    assert "Traceback" not in result.output
