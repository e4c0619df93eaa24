"""Built-in scoring models, each an ordinary plugin: ``nps``, ``csat`` and ``ces``."""
