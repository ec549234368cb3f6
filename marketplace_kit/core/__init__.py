"""Domain logic of the core. No Flask request objects in here."""
