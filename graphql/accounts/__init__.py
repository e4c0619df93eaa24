"""The accounts domain of the GraphQL API: who you are, logging in and out, password reset, API tokens."""
