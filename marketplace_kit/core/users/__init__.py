"""Users: accounts, roles and the services that create them."""
