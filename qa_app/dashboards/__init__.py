"""Dashboards: the supervisor's team page and the manager's centre page."""
