"""flask-smorest blueprints mounted under /api/v1."""
