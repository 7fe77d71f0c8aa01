"""Excel exports: the evaluations workbook (Summary, Evaluations, Answers, Criteria) and the
per-agent feedback workbook, from the web and from `flask export evaluations`.

The workbook writers (`workbook.py`, `feedback_workbook.py`, `sheets.py`) are pure: rows in,
an openpyxl write-only workbook out. `queries.py` streams rows from the database and
`aggregates.py` sums in SQL; `services.py` joins the two and records the audit event.
"""
