"""The audit log: who read or changed what in a tenant (see :mod:`pejling.core.audit.models`, docs/security.md)."""
