"""/healthz reports every registered part — the database, the cache, the job queue — with an
overall status, and 503 when any part is down (issue 22)."""

from __future__ import annotations

import pytest
from flask import Flask

from qa_app.extensions import cache
from qa_app.web.health import NOT_CONFIGURED, register_health_check


def use_cache(app: Flask, **config: object) -> None:
    cache.init_app(app, config={"CACHE_DEFAULT_TIMEOUT": 600, **config})
    app.config["CACHE_TYPE"] = config["CACHE_TYPE"]


def test_a_working_cache_is_ok(app: Flask) -> None:
    use_cache(app, CACHE_TYPE="SimpleCache")
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.json == {
        "status": "ok",
        "database": "ok",
        "cache": "ok",
        "queue": "ok",  # the tests' jobs run inside their request: no worker to wait for
    }


def test_a_filesystem_cache_is_ok(app: Flask, tmp_path: object) -> None:
    use_cache(app, CACHE_TYPE="FileSystemCache", CACHE_DIR=str(tmp_path))
    assert app.test_client().get("/healthz").json["cache"] == "ok"


def test_an_unreachable_cache_is_503(app: Flask) -> None:
    use_cache(app, CACHE_TYPE="RedisCache", CACHE_REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "error"
    assert response.json["cache"] == "unreachable"
    assert response.json["database"] == "ok"


def test_a_part_registers_its_own_check(app: Flask) -> None:
    register_health_check(app, "queue", lambda: "no worker seen for 300 s")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["queue"] == "no worker seen for 300 s"
    register_health_check(app, "queue", lambda: "ok")
    assert app.test_client().get("/healthz").status_code == 200


def test_a_placeholder_does_not_replace_a_real_check(app: Flask) -> None:
    register_health_check(app, "queue", lambda: "ok")
    register_health_check(app, "queue", lambda: NOT_CONFIGURED, replace=False)
    assert app.test_client().get("/healthz").json["queue"] == "ok"


def test_a_check_that_raises_is_a_failed_part_not_a_500(app: Flask) -> None:
    def broken() -> str:
        raise RuntimeError("boom")

    register_health_check(app, "search", broken)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.json["search"] == "error (RuntimeError)"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"QA_CACHE": "memcached"}, "QA_CACHE must be one of"),
        ({"QA_CACHE": "redis"}, "REDIS_URL is not set"),
        ({"REDIS_URL": "localhost:6379"}, "REDIS_URL must start with"),
        ({"REDIS_URL": "unix:///run/redis.sock"}, "REDIS_URL must start with"),
        ({"CACHE_MINUTES": "0"}, "CACHE_MINUTES must be between 1 and 60"),
        ({"QA_METRICS": "maybe"}, "QA_METRICS must be on or off"),
    ],
)
def test_the_cache_settings_are_checked(environ: dict[str, str], message: str) -> None:
    from config import ConfigError, ProductionConfig

    with pytest.raises(ConfigError, match=message):
        ProductionConfig(environ).validate()


def test_redis_is_the_cache_when_redis_url_is_set() -> None:
    from config import ProductionConfig

    config = ProductionConfig({"REDIS_URL": "redis://127.0.0.1:6379/0"})
    assert (config.QA_CACHE, config.CACHE_TYPE) == ("redis", "RedisCache")
    assert ProductionConfig({}).CACHE_TYPE == "FileSystemCache"


def test_two_servers_checking_the_cache_at_once_are_both_ok(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both checks write before either reads back (a barrier in get): one shared key would
    # make one of them read the other's value and report a healthy cache as unwritable.
    import threading

    from qa_app.main.health import cache_health

    use_cache(app, CACHE_TYPE="SimpleCache")
    both_written = threading.Barrier(2, timeout=10)
    read = cache.get

    def get_after_both_wrote(key: str) -> object:
        both_written.wait()
        return read(key)

    monkeypatch.setattr(cache, "get", get_after_both_wrote)
    states: list[str] = []

    def check() -> None:
        with app.app_context():
            states.append(cache_health(app))

    threads = [threading.Thread(target=check) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert states == ["ok", "ok"]
