"""Per-agent operational statistics: daily totals, their import, KPI math and targets."""
