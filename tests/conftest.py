"""The core's tests use the same test kit as plugin authors (marketplace_kit.testing)."""
