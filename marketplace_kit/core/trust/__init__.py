"""Trust: two-way blind reviews and reputation per role (see docs/trust.md)."""
