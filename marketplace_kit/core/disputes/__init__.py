"""Disputes on orders: opened within a window, answered, resolved by an operator."""
