"""GraphQL of the insights: the insights query with typed sections, the store change log."""
