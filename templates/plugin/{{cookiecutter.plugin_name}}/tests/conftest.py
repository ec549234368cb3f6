import pytest


@pytest.fixture
def mk_plugins():
    """Every test's `app` runs with this plugin enabled."""
    return ["{{ cookiecutter.plugin_name }}"]
