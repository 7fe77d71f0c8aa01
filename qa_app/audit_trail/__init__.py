"""The audit trail browser for administrators and managers: every recorded change, filtered by
person, record, action and period, read as changes (qa_app.audit.changes), exported to Excel.

The trail itself is written by qa_app.audit, which sits below every feature; this package
reads it and names what it finds (people, teams, criteria), so it sits above them.
"""
