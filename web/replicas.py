"""`qa-web --ray [ADDRESS]`: the same Litestar app served by Ray Serve, `replicas` copies behind Serve's proxy.

Each replica builds the app itself (`create_app` from the settings), so it loads the models once and reads the
index directory as a `qa-web` worker does: a generation written after it started is picked up on the next
question. Writes take the index's file lock, which holds between replicas on one machine; with replicas on
several machines reading a shared volume, write through one host only (`qa index add` there), since file locks
on a network file system do not promise one writer at a time. Every node needs this project installed
(`pip install -e '.[cluster]'`) and the models available offline, as the driver does.
"""

from __future__ import annotations

from typing import Any

from qa.errors import ClusterError
from qa.ingest.ray_build import connect
from qa.settings import Settings, threads_each

NAME = "newsqa"
MAX_ONGOING = 1000  # questions a replica takes at once when max_pending sets no limit
AUTOSCALE_TARGET = 4  # questions in flight per replica that replicas=0 scales to (a few overlap in its reader)
_built: Any = None  # this replica's app, once built


def _serve():
    try:
        import ray
        from ray import serve
    except ImportError:
        raise ClusterError("--ray needs Ray Serve: pip install -e '.[cluster]' (or pip install 'ray[serve]')") from None
    return ray, serve


def builder(env: dict[str, str]):
    """What a replica runs to build its app: the web app over the settings `env` holds."""

    def build():
        global _built
        from web.app import create_app

        _built = create_app(Settings.from_env(env))
        return _built

    return build


def deploy(settings: Settings, address: str | None = None) -> str:
    """Start (or join) Ray at `address` (empty: RAY_ADDRESS, else a local instance), start Serve's proxy on the
    settings' host and port, and deploy `replicas` replicas, each with its share of this machine's cores for the
    reader; returns once every replica is ready, with the base URL."""
    ray, serve = _serve()
    connect(address)
    threads = threads_each(settings.reader_threads, settings.replicas)  # replicas=0 (autoscaled): as for one
    env = settings.replace(reader_threads=threads).to_env()
    serve.start(http_options={"host": settings.host, "port": settings.port})

    class Replica(serve.ingress(builder(env))()):  # type: ignore[misc]
        def check_health(self) -> None:
            """Serve restarts a replica whose app failed to start; one without an index still answers (503)."""
            if _built is not None and getattr(_built.state, "qa", None) is None:
                raise RuntimeError("the app did not finish starting")

    # each replica asks Ray for the cores its reader uses, which spreads replicas over a cluster's nodes;
    # replicas=0: as many as the load needs, up to what the cluster's cores hold
    ceiling = max(1, int(ray.cluster_resources().get("CPU", 1)) // threads)
    scale = {"min_replicas": 1, "max_replicas": ceiling, "target_ongoing_requests": AUTOSCALE_TARGET}
    count = {"num_replicas": settings.replicas} if settings.replicas else {"autoscaling_config": scale}
    # a replica takes what `max_pending` lets it hold (Serve's default, 5, left the rest waiting in its router
    # and served 32 clients at a third of the rate); past that, the app itself answers busy
    ongoing = settings.max_pending or MAX_ONGOING
    deployment = serve.deployment(
        Replica, name=NAME, ray_actor_options={"num_cpus": threads}, max_ongoing_requests=ongoing, **count
    )
    serve.run(deployment.bind(), name=NAME, route_prefix="/")
    return f"http://{settings.host}:{settings.port}"


def shutdown() -> None:
    ray, serve = _serve()
    serve.shutdown()
    ray.shutdown()
