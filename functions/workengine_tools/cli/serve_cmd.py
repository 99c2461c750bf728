"""``workengine serve``: the local API on an embedded moto server (DynamoDB, S3, EventBridge)."""

from __future__ import annotations

import argparse
import logging
import os
import socket
import sys
import threading
import warnings

from workengine.settings import DEFAULT_DEV_SECRET
from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the local API on an embedded moto backend",
        description="Run the local API on an embedded moto backend (data lives in memory only).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="API port (default: 8080)")
    parser.add_argument("--moto-port", type=int, default=None, help="moto backend port (default: --port + 1)")
    parser.add_argument("--seed-demo", action="store_true", help="create a demo tenant with bundles")
    parser.add_argument(
        "--seed-showcases",
        action="store_true",
        help="also seed every showcase (bundles with history) into the demo tenant before serving",
    )
    parser.add_argument(
        "--metrics", action="store_true", help="print CloudWatch EMF metric blobs to stdout (default: off)"
    )
    parser.add_argument("--quiet", action="store_true", help="no request log lines on stderr")
    parser.set_defaults(func=run)


def port_in_use(host: str, port: int) -> bool:
    """Whether ``host:port`` cannot be bound now (another server listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def catalog_problems() -> list[str]:
    """The validator's messages for the configured content directory (empty when it loads): a server
    must not start only to answer every ``POST /bundles`` with an error."""
    from workengine import composition
    from workengine.catalog.problems import CatalogError

    composition.reset()
    try:
        _ = composition.container().catalog
    except CatalogError as exc:
        return [str(problem) for problem in exc.problems]
    except RuntimeError as exc:
        return [str(exc)]
    return []


def run(args: argparse.Namespace) -> int:
    moto_port = args.moto_port or args.port + 1
    busy = [port for port in (args.port, moto_port) if port and port_in_use(args.host, port)]
    if busy:
        print(f"error: port {busy[0]} is in use (pass --port/--moto-port)", file=sys.stderr)
        return 1
    problems = catalog_problems()
    if problems:
        print("error: the template catalog is not valid; the server does not start:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    from workengine_tools.local.moto_backend_server import SerialMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log would drown the output
    moto = SerialMotoServer(ip_address=args.host, port=moto_port, verbose=False)
    moto.start()
    endpoint = f"http://{args.host}:{moto_port}"
    use_endpoint(endpoint)
    quiet_local_powertools()
    if not args.metrics:
        os.environ["POWERTOOLS_METRICS_DISABLED"] = "true"
        warnings.filterwarnings("ignore", message="No application metrics to publish")

    from workengine import composition
    from workengine.handlers.api.app import lambda_handler
    from workengine.settings import get_settings
    from workengine_tools.local.backend import provision
    from workengine_tools.local.background import start_background
    from workengine_tools.local.demo import DEMO_ADMIN, DEMO_MEMBER, DEMO_TENANT, seed_demo
    from workengine_tools.local.http_server import LocalApi, log_request, make_server
    from workengine_tools.local.tokens import issue_token

    composition.reset()
    settings = get_settings()
    if settings.dev_jwt_secret == DEFAULT_DEV_SECRET or settings.pagination_secret == DEFAULT_DEV_SECRET:
        print(
            "note: using a development secret for tokens and page tokens (public; set "
            "WORKENGINE_DEV_JWT_SECRET and WORKENGINE_PAGINATION_SECRET to change it)",
            file=sys.stderr,
        )
    provision(settings)
    if args.seed_demo:
        wiring = composition.container()
        created = seed_demo(wiring.bundle_service, wiring.task_service, wiring.catalog.list())
        print(f"seeded tenant {DEMO_TENANT!r} with {len(created)} bundles")
    if args.seed_showcases:
        from workengine.domain.enums import Role
        from workengine.domain.identity import Identity

        print(
            "seeding the showcases (a minute or two: every step runs through the services)...",
            file=sys.stderr,
        )
        summary = composition.container().showcase_service.seed(
            Identity(DEMO_TENANT, DEMO_ADMIN, Role.ADMIN), "all"
        )
        print(summary.message())

    stop = threading.Event()
    start_background(settings, stop)
    request_log = None if args.quiet else log_request
    server = make_server(LocalApi(lambda_handler, settings.dev_jwt_secret), args.host, args.port, request_log)
    base = f"http://{args.host}:{server.server_port}"
    member = issue_token(settings.dev_jwt_secret, tenant_id=DEMO_TENANT, user_id=DEMO_MEMBER, role="member")
    admin = issue_token(settings.dev_jwt_secret, tenant_id=DEMO_TENANT, user_id=DEMO_ADMIN, role="admin")
    print(f"work engine API on {base}  (moto backend on {endpoint})")
    print(f"member token ({DEMO_MEMBER}): {member}")
    print(f"admin token ({DEMO_ADMIN}): {admin}")
    print(f'try: curl -H "Authorization: Bearer {member}" {base}/tasks?assignee=me')
    print(f"docs: {base}/docs   openapi: {base}/openapi.json")
    print("data lives in memory only: stopping the server discards it")
    print("templates under content/ reload when they change; stop the server with Ctrl+C", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        server.server_close()
        moto.stop()
    return 0
