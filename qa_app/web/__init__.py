"""Web plumbing shared by every feature's pages, knowing no feature: forms, security headers,
the NUL guard, error pages, template helpers, and the commit-or-flash transaction."""
