"""Reports: the figures dashboards and exports share (filters, team and centre aggregates)."""
