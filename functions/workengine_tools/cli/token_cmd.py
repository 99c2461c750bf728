"""``workengine token``: a signed dev JWT the local server accepts."""

from __future__ import annotations

import argparse

from workengine.domain.enums import Role
from workengine.settings import DEFAULT_DEV_SECRET, Settings
from workengine_tools.local.tokens import issue_token


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("token", help="print a signed dev JWT for the local API")
    parser.add_argument("--tenant", required=True, help="tenant ID (claim custom:tenant_id)")
    parser.add_argument("--user", required=True, help="user ID (claim sub)")
    parser.add_argument(
        "--role", required=True, choices=[role.value for role in Role], help="role (claim custom:role)"
    )
    parser.add_argument("--ttl", type=int, default=12 * 3600, help="seconds until the token expires")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    if settings.dev_jwt_secret == DEFAULT_DEV_SECRET:
        import sys

        print("warning: signing with the default dev secret (set WORKENGINE_DEV_JWT_SECRET)", file=sys.stderr)
    print(
        issue_token(
            settings.dev_jwt_secret,
            tenant_id=args.tenant,
            user_id=args.user,
            role=args.role,
            ttl_seconds=args.ttl,
        )
    )
    return 0
