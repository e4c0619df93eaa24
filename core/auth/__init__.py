"""Authentication: who a request comes from (sessions, API tokens) and how people log in."""
