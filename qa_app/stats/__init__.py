"""Statistics: per-agent daily totals and their import, KPI math and targets, and every
figure of an agent (QA average with its interval, KPIs, KPI index, composite) that all
surfaces take from agent_performance.py."""
