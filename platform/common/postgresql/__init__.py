"""Django's PostgreSQL backend whose connection pool recovers from a server restart at once."""
