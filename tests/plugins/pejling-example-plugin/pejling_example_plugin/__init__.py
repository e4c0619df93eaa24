"""A third-party Pejling plugin, installed from its own package by the test suite."""
