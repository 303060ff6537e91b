"""`qa-web` / `python -m web`: serve the chat (building the seed index first if there is none)."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import time

import uvicorn
from uvicorn.supervisors import Multiprocess

from qa import QAService
from qa.cli import settings_from, settings_parser
from qa.errors import ClusterError, IndexStateError
from qa.settings import threads_each


def port_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on host:port, found before the minutes of model loading."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
        try:
            s.bind((host, port))
        except OSError as exc:
            return f"cannot listen on {host} port {port}: {exc.strerror} (another server? set --port or QA_PORT)"
    return None


def server_options(settings) -> dict:
    """uvicorn's options from the settings. Forwarding headers are believed only from `trusted_proxies`: uvicorn
    believes them from 127.0.0.1 by default, where any local process (or a proxy that passes the client's own
    header on) could then choose the address that rate limits count by."""
    proxies = settings.trusted_proxies.strip()
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": "info",
        "proxy_headers": bool(proxies),
        "forwarded_allow_ips": proxies or None,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="qa-web", description="Serve the News QA chat and JSON API.", parents=[settings_parser()]
    )
    parser.add_argument(
        "--ray",
        nargs="?",
        const="",
        metavar="ADDRESS",
        help="serve `replicas` copies of the app on Ray Serve: a cluster (host:port or ray://host:port); without "
        "ADDRESS, RAY_ADDRESS or a local Ray instance",
    )
    try:
        args = parser.parse_args(argv)
        settings = settings_from(args)
    except ValueError as exc:  # a setting it cannot read, or a value it does not accept
        print(f"qa-web: {exc}", file=sys.stderr)
        return 2
    qa = QAService(settings)
    try:
        problem = port_problem(settings.host, settings.port)
        qa.manifest()  # a broken index is one line here, not a traceback from the server's startup
    except IndexStateError as exc:
        problem = str(exc)
    if problem:
        print(f"qa-web: {problem}", file=sys.stderr)
        return 2
    if qa.manifest() is None:
        print(f"No index in {settings.index_dir} yet: indexing {settings.seeds_dir}/ first", file=sys.stderr)
    qa.ensure_index()  # once, before the workers start
    if args.ray is not None:
        return _on_ray(settings, args.ray)
    print(f"News QA: open http://{settings.host}:{settings.port}/ once the models are loaded", file=sys.stderr)
    threads = threads_each(settings.reader_threads, settings.workers)
    os.environ.update(settings.replace(reader_threads=threads).to_env())  # each worker's create_app reads them
    config = uvicorn.Config("web.app:create_app", factory=True, workers=settings.workers, **server_options(settings))
    # supervised even with one worker: a worker that dies (the OOM killer; SIGBUS from a memory-mapped index
    # file cut short under it) is started again, and then refuses a damaged generation by its checksums
    Multiprocess(config, sockets=[config.bind_socket()]).run()
    return 0


def _on_ray(settings, address: str) -> int:
    from web import replicas

    try:
        url = replicas.deploy(settings, address)
    except ClusterError as exc:
        print(f"qa-web: {exc}", file=sys.stderr)
        return 2
    count = f"{settings.replicas} replicas" if settings.replicas else "replicas autoscaled"
    print(f"News QA on Ray Serve ({count}): open {url}/", file=sys.stderr)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # stopped either way, Serve and Ray shut down
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        replicas.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
