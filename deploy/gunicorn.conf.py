"""gunicorn's settings for QA Coach (deploy/qa-coach-web.service passes this file)."""

import os

bind = os.environ.get("QA_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "4"))
# Long work runs as jobs; no page should take this long. nginx waits a little longer.
timeout = 60
graceful_timeout = 30
accesslog = "-"
# The app trusts X-Forwarded-* through PROXY_FIX_HOPS; gunicorn's own check is for nginx here.
forwarded_allow_ips = "127.0.0.1"
# gunicorn's control socket (`gunicornc -s PATH`), one per instance, named after its address:
# gunicorn's default path is the same for every instance on a machine, so the last one
# started took it over, and once that one stopped the others had none. Under systemd it goes
# to the unit's RuntimeDirectory.
control_socket = os.path.join(
    os.environ.get("RUNTIME_DIRECTORY")
    or os.environ.get("XDG_RUNTIME_DIR")
    or os.path.expanduser("~/.gunicorn"),
    "gunicorn-" + bind.replace(":", "-").replace("/", "_") + ".ctl",
)


def child_exit(server, worker):  # noqa: ARG001 - gunicorn's hook signature
    """A worker has gone: prometheus_client stops adding up its live gauges."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
