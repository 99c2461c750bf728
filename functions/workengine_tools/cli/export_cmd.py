"""``workengine export`` / ``workengine export validate`` / ``workengine import``: portable export and
import of a tenant (format: docs/export-format.md)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint

PROGRESS_EVERY = 100


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = subparsers.add_parser(
        "export",
        help="export a tenant (to S3, or to --out DIR); 'export validate DIR' checks an export",
        description="Export every record of a tenant as JSON Lines files with a manifest.",
    )
    export.add_argument("--tenant", help="tenant to export (required unless validating)")
    export.add_argument("--out", type=Path, help="write into this (new or empty) directory instead of S3")
    export.add_argument("--with-binaries", action="store_true", help="also copy artifact binaries")
    export.add_argument("--endpoint-url", help="AWS endpoint (e.g. the local server's moto backend)")
    actions = export.add_subparsers(dest="export_action")
    validate = actions.add_parser(
        "validate", help="check hashes, counts, schemas and references of an export"
    )
    validate.add_argument("directory", type=Path)
    export.set_defaults(func=run_export_command)

    imported = subparsers.add_parser(
        "import", help="import an export directory into a tenant (validated first; safe to rerun)"
    )
    imported.add_argument("--tenant", required=True, help="tenant to import into (IDs are kept)")
    imported.add_argument("directory", type=Path)
    imported.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
    imported.add_argument("--endpoint-url", help="AWS endpoint (e.g. the local server's moto backend)")
    imported.set_defaults(func=run_import)


def progress_printer(label: str, stream: TextIO | None = None) -> Callable[[int], None]:
    """A one-line counter on stderr (``\\r``-updated), e.g. ``exporting: 1200 records``."""
    out = stream or sys.stderr

    def show(count: int) -> None:
        if count % PROGRESS_EVERY == 0:
            print(f"\r{label}: {count} records", end="", file=out, flush=True)

    return show


def run_export_command(args: argparse.Namespace) -> int:
    if args.export_action == "validate":
        return run_validate(args.directory)
    if not args.tenant:
        print("error: --tenant is required", file=sys.stderr)
        return 2
    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    if args.out is not None:
        return _export_to_directory(args.tenant, args.out, args.with_binaries)
    return _export_to_s3(args.tenant, args.with_binaries)


def _export_to_directory(tenant_id: str, out: Path, with_binaries: bool) -> int:
    from workengine.domain.ids import new_id
    from workengine.handlers.export_wiring import tenant_exporter
    from workengine.services.export_service import DirectorySink
    from workengine.settings import get_settings

    if out.exists() and any(out.iterdir()):
        print(f"error: {out} is not empty", file=sys.stderr)
        return 2
    out.mkdir(parents=True, exist_ok=True)
    manifest = tenant_exporter(get_settings()).export(
        tenant_id,
        new_id("x"),
        DirectorySink(out),
        with_binaries=with_binaries,
        progress=progress_printer("exporting"),
    )
    print(file=sys.stderr)
    total = sum(entry.count for entry in manifest.files)
    print(f"exported {total} records of tenant {tenant_id!r} to {out} (export {manifest.export_id})")
    for entry in manifest.files:
        print(f"  {entry.file}: {entry.count}")
    return 0


def _export_to_s3(tenant_id: str, with_binaries: bool) -> int:
    from workengine.domain.enums import Role
    from workengine.domain.export_format import ExportStatus
    from workengine.domain.identity import Identity
    from workengine.handlers.export_wiring import build_export_service
    from workengine.settings import get_settings

    settings = get_settings()
    progress = progress_printer("exporting")
    service = build_export_service(
        settings,
        dispatcher=lambda tenant, export_id: None,  # run below, in this process
    )
    run = service.start_export(Identity(tenant_id, "cli", Role.ADMIN), with_binaries=with_binaries)
    run = service.run_export(tenant_id, run.export_id, progress=progress)
    print(file=sys.stderr)
    if run.status != ExportStatus.SUCCEEDED:
        print(f"export {run.export_id} failed: {run.error}", file=sys.stderr)
        return 1
    print(f"export {run.export_id} of tenant {tenant_id!r}: s3://{settings.bucket_name}/{run.manifest_key}")
    for entity_type, count in run.counts.items():
        print(f"  {entity_type}: {count}")
    return 0


def run_validate(directory: Path) -> int:
    from workengine.services.export_validation import validate_export

    report = validate_export(directory)
    for problem in report.problems:
        print(str(problem))
    if not report.ok:
        print(f"{len(report.problems)} problem(s): the export is not valid", file=sys.stderr)
        return 1
    counts = ", ".join(f"{name} {count}" for name, count in report.counts.items())
    print(f"export is valid: {counts}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    from workengine.handlers.export_wiring import build_import_service
    from workengine.services.export_validation import ExportInvalidError
    from workengine.settings import get_settings

    service = build_import_service(get_settings())
    try:
        result = service.import_directory(
            args.tenant, args.directory, dry_run=args.dry_run, progress=progress_printer("importing")
        )
    except ExportInvalidError as exc:
        for problem in exc.problems:
            print(str(problem))
        print(f"{len(exc.problems)} problem(s): nothing was imported", file=sys.stderr)
        return 1
    print(file=sys.stderr)
    verb = "would write" if result.dry_run else "wrote"
    print(f"import into tenant {result.tenant_id!r} (from {result.source_tenant_id!r}):")
    for spec_type in sorted(set(result.written) | set(result.existing)):
        print(
            f"  {spec_type}: {verb} {result.written[spec_type]}, already present {result.existing[spec_type]}"
        )
    for conflict in result.conflicts:
        print(conflict)
    if result.conflicts:
        print(f"{len(result.conflicts)} conflict(s): existing items were left unchanged", file=sys.stderr)
        return 1
    return 0
