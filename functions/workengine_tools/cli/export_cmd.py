"""``workengine export`` / ``workengine export validate`` / ``workengine import``: portable export and
import of a tenant (format: docs/export-format.md)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from workengine_tools.cli.aws_config import quiet_local_powertools, use_endpoint
from workengine_tools.cli.output import add_endpoint_flag, add_json_flag, emit, note, progress

EXPORT_USAGE = (
    "workengine export --tenant TENANT [--out DIR] [--with-binaries] [--endpoint-url URL] [--json]\n"
    "       workengine export validate DIR [--json]"
)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    export = subparsers.add_parser(
        "export",
        usage=EXPORT_USAGE,
        help="export a tenant (to S3, or to --out DIR); 'export validate DIR' checks an export",
        description="Export every record of a tenant as JSON Lines files with a manifest.",
    )
    export.add_argument("--tenant", metavar="TENANT", help="tenant to export (required)")
    export.add_argument(
        "--out", type=Path, metavar="DIR", help="write into this new or empty directory, not S3"
    )
    export.add_argument("--with-binaries", action="store_true", help="also copy artifact binaries")
    add_endpoint_flag(export)
    add_json_flag(export)
    actions = export.add_subparsers(dest="export_action", metavar="validate")
    validate = actions.add_parser(
        "validate",
        usage="workengine export validate DIR [--allow-unsigned] [--json]",
        help="check hashes, counts, schemas and references of an export",
        description="Check an export directory: hashes, counts, schemas and references.",
    )
    validate.add_argument("directory", type=Path, metavar="DIR", help="the export directory to check")
    validate.add_argument(
        "--allow-unsigned", action="store_true", help="do not count a missing or foreign signature"
    )
    add_json_flag(validate)
    validate.set_defaults(func=run_validate)
    export.set_defaults(func=run_export_command, parser=export)

    imported = subparsers.add_parser(
        "import",
        help="import an export directory into a tenant (validated first; safe to rerun)",
        description="Import an export directory into a tenant; it is validated first and safe to rerun.",
    )
    imported.add_argument("--tenant", required=True, help="tenant to import into (IDs are kept)")
    imported.add_argument("directory", type=Path, metavar="DIR", help="the export directory to import")
    imported.add_argument("--dry-run", action="store_true", help="validate and count; write nothing")
    imported.add_argument(
        "--allow-unsigned",
        action="store_true",
        help="import an export not signed by this deployment (logged; binaries only from binaries/)",
    )
    add_endpoint_flag(imported)
    add_json_flag(imported)
    imported.set_defaults(func=run_import)


def run_export_command(args: argparse.Namespace) -> int:
    if not args.tenant:
        args.parser.error("the following arguments are required: --tenant")
    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    if args.out is not None:
        return _export_to_directory(args, args.tenant, args.out)
    return _export_to_s3(args, args.tenant)


def _export_to_directory(args: argparse.Namespace, tenant_id: str, out: Path) -> int:
    from workengine.composition import container
    from workengine.domain.ids import new_id
    from workengine.services.export_service import DirectorySink

    if out.exists() and any(out.iterdir()):
        args.parser.error(f"{out} is not empty")
    out.mkdir(parents=True, exist_ok=True)
    with progress(f"exporting tenant {tenant_id}") as show:
        manifest = container().tenant_exporter.export(
            tenant_id, new_id("x"), DirectorySink(out), with_binaries=args.with_binaries, progress=show
        )
    files = {entry.file: entry.count for entry in manifest.files}
    total = sum(files.values())
    summary = {
        "export_id": manifest.export_id,
        "tenant_id": tenant_id,
        "status": "succeeded",
        "destination": str(out),
        "records": total,
        "files": files,
    }
    lines = [f"exported {total} records of tenant {tenant_id!r} to {out} (export {manifest.export_id})"]
    emit(args.json, summary, lines + [f"  {name}: {count}" for name, count in files.items()])
    return 0


def _export_to_s3(args: argparse.Namespace, tenant_id: str) -> int:
    from workengine.composition import Container
    from workengine.domain.enums import Role
    from workengine.domain.export_format import ExportStatus
    from workengine.domain.identity import Identity
    from workengine.settings import get_settings

    settings = get_settings()
    service = Container(
        settings,
        export_dispatcher=lambda tenant, export_id: None,  # run below, in this process
    ).export_service
    run = service.start_export(Identity(tenant_id, "cli", Role.ADMIN), with_binaries=args.with_binaries)
    with progress(f"exporting tenant {tenant_id}") as show:
        run = service.run_export(tenant_id, run.export_id, progress=show)
    ok = run.status == ExportStatus.SUCCEEDED
    destination = f"s3://{settings.bucket_name}/{run.manifest_key}" if ok else None
    summary: dict[str, Any] = {
        "export_id": run.export_id,
        "tenant_id": tenant_id,
        "status": run.status.value,
        "destination": destination,
        "counts": dict(run.counts),
        "error": run.error,
    }
    if not ok:
        note(f"export {run.export_id} failed: {run.error}")
        emit(args.json, summary, [])
        return 1
    lines = [f"export {run.export_id} of tenant {tenant_id!r}: {destination}"]
    emit(args.json, summary, lines + [f"  {name}: {count}" for name, count in run.counts.items()])
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from workengine.composition import container
    from workengine.services.export_validation import validate_export

    signer = container().export_signer
    report = validate_export(args.directory, signer=signer, allow_unsigned=args.allow_unsigned)
    problems = [str(problem) for problem in report.problems]
    summary = {"directory": str(args.directory), "valid": report.ok, "counts": dict(report.counts),
               "signature": str(report.signature), "problems": problems}  # fmt: skip
    if not report.ok:
        note(f"{len(problems)} problem(s): the export is not valid")
        emit(args.json, summary, problems)
        return 1
    counts = ", ".join(f"{name} {count}" for name, count in report.counts.items())
    emit(args.json, summary, [f"export is valid (signature {report.signature}): {counts}"])
    return 0


def run_import(args: argparse.Namespace) -> int:
    use_endpoint(args.endpoint_url)
    quiet_local_powertools()
    from workengine.composition import container
    from workengine.services.export_validation import ExportInvalidError

    service = container().import_service
    if args.allow_unsigned:
        note(
            "warning: --allow-unsigned: an export not signed by this deployment is accepted "
            "(binaries only from its binaries/ directory)"
        )
    try:
        with progress(f"importing into tenant {args.tenant}") as show:
            result = service.import_directory(
                args.tenant,
                args.directory,
                dry_run=args.dry_run,
                progress=show,
                allow_unsigned=args.allow_unsigned,
            )
    except ExportInvalidError as exc:
        problems = [str(problem) for problem in exc.problems]
        note(f"{len(problems)} problem(s): nothing was imported")
        emit(args.json, {"tenant_id": args.tenant, "imported": False, "problems": problems}, problems)
        return 1
    kinds = sorted(set(result.written) | set(result.existing))
    conflicts = [str(conflict) for conflict in result.conflicts]
    summary = {
        "tenant_id": result.tenant_id,
        "source_tenant_id": result.source_tenant_id,
        "imported": not result.dry_run,
        "dry_run": result.dry_run,
        "written": {kind: result.written[kind] for kind in kinds},
        "existing": {kind: result.existing[kind] for kind in kinds},
        "conflicts": conflicts,
    }
    verb = "would write" if result.dry_run else "wrote"
    lines = [f"import into tenant {result.tenant_id!r} (from {result.source_tenant_id!r}):"]
    lines += [
        f"  {kind}: {verb} {result.written[kind]}, already present {result.existing[kind]}" for kind in kinds
    ]
    emit(args.json, summary, lines + conflicts)
    if result.conflicts:
        note(f"{len(result.conflicts)} conflict(s): existing items were left unchanged")
        return 1
    return 0
