"""Web plumbing shared by every feature's pages: access decorators, forms, security headers,
the NUL guard, error pages and template helpers."""
