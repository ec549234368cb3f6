"""Notifications: in-app centre, email and plugin channels, operator webhooks."""
