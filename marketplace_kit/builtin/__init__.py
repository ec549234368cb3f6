"""The core's own hook implementations, registered in every app as built-in plugins."""
