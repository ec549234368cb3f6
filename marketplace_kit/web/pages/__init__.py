"""Server-rendered page blueprints, one per area."""
