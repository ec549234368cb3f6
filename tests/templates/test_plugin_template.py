"""The cookiecutter plugin template bakes into a plugin whose own tests pass."""

from __future__ import annotations

import os
import site
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def baked(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("baked")
    path = cookiecutter(
        str(ROOT / "templates" / "plugin"),
        no_input=True,
        output_dir=str(out),
        extra_context={"plugin_name": "dog_walking", "plugin_title": "Dog walking"},
    )
    return Path(path)


def test_baked_plugin_has_the_conventional_layout(baked):
    pkg = baked / "marketplace_kit_dog_walking"
    assert (baked / "pyproject.toml").read_text().count('dog_walking = "marketplace_kit_dog_walking"') == 1
    assert (pkg / "migrations" / "versions" / "dog_walking_0001_initial.py").exists()
    assert (pkg / "templates" / "dog_walking" / "index.html").exists()
    for loc in ("zh_Hans", "ru"):
        assert (pkg / "translations" / loc / "LC_MESSAGES" / "messages.mo").exists()


def test_baked_plugin_installs_and_its_own_tests_pass(baked, tmp_path):
    # A child environment that sees everything installed here (marketplace-kit,
    # its dependencies) and gets the baked plugin installed the normal way.
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    (child_site,) = (env_dir / "lib").glob("python3*/site-packages")
    parents = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (child_site / "parent.pth").write_text(
        "".join(f"import site; site.addsitedir({p!r})\n" for p in parents)
    )
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet",
         "--no-deps", "--no-build-isolation", "-e", str(baked)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    env.pop("PYTEST_ADDOPTS", None)
    result = subprocess.run(
        [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", str(baked / "tests")],
        capture_output=True,
        text=True,
        cwd=baked,
        env=env,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "failed" not in result.stdout
