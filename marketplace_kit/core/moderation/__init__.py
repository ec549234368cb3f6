"""Reports and moderation: users report content, operators decide, the reported user is told."""
