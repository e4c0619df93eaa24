"""The sizes of an API request that the kernel enforces before the API reads it.

The actor middleware refuses a larger ``POST /graphql`` body before reading on, and parses a document for
its CSRF decision with no more tokens than the schema allows; ``pejling.graphql.limits`` takes both from
here, so the two checks cannot disagree.
"""

from __future__ import annotations

#: Lexical tokens in a GraphQL document (the parser stops there).
MAX_TOKENS = 2000
#: Largest body of a ``POST /graphql``. A document of MAX_TOKENS tokens is ~20 KB and the largest variable
#: a mutation takes, a 24 KB logo as a ``data:`` URL, ~33 KB.
MAX_BODY_BYTES = 64 * 1024
