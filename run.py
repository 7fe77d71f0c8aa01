"""The application object for `flask --app run …` and `gunicorn run:app`."""

import gc

from qa_app import create_app

app = create_app()
# What start-up made (modules, routes, templates, the ORM's mappings) lives as long as the
# process: collected once, then frozen out of the cycle collector's sight, so that a full
# collection during a request walks only what requests made. Unfrozen, the full collections
# that land in about one request in twenty cost ≈ 70 ms each (the team dashboard's p95 at a
# million evaluations, bench/RESULTS.md).
gc.collect()
gc.freeze()
