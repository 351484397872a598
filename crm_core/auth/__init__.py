"""Users, roles and permissions; passwords, API tokens and browser sessions."""
