"""The role-specific home pages and the health check."""
