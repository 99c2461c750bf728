"""Builds the export and import services from settings (AWS clients come from ``dal.aws`` only)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from workengine.dal.aws import client
from workengine.dal.export_storage import (
    DynamoExportRuns,
    DynamoRecordWriter,
    DynamoTenantItems,
    LambdaExportDispatcher,
    S3BinarySource,
    S3BinaryTarget,
    S3ExportSink,
    export_prefix,
    presigned_get_url,
)
from workengine.domain.export_signing import ManifestSigner
from workengine.services.export_service import ExportDispatcher, ExportService, TenantExporter
from workengine.services.import_service import ImportService
from workengine.settings import InsecureSettingsError, Settings


def export_signer(settings: Settings) -> ManifestSigner:
    """Exports are signed with a key derived from the stack's signing secret (the pagination secret)."""
    return ManifestSigner(settings.pagination_secret)


def tenant_exporter(settings: Settings) -> TenantExporter:
    return TenantExporter(
        DynamoTenantItems(client("dynamodb"), settings.table_name),
        S3BinarySource(client("s3"), settings.bucket_name),
        signer=export_signer(settings),
    )


def refuse_in_process_dispatch(tenant_id: str, export_id: str) -> None:
    """In AWS there is no fallback: a thread of a Lambda sandbox freezes between invocations, so an
    export started on one would never finish. Raises InsecureSettingsError."""
    raise InsecureSettingsError(
        "WORKENGINE_EXPORT_FUNCTION_NAME is not set; in AWS exports run in the export worker function"
    )


def default_dispatcher(settings: Settings, run_here: Callable[[str, str], Any]) -> ExportDispatcher:
    """An asynchronous Lambda invocation when the worker function is configured (AWS), else ``run_here``
    on an in-process background thread (``workengine serve``, tests); in a Lambda without the worker
    function, a dispatcher that refuses."""
    if settings.export_function_name:
        return LambdaExportDispatcher(client("lambda"), settings.export_function_name)
    if settings.in_lambda:
        return refuse_in_process_dispatch
    from workengine.handlers.export_runner import InProcessExportDispatcher

    return InProcessExportDispatcher(run_here)


def build_export_service(settings: Settings, dispatcher: ExportDispatcher | None = None) -> ExportService:
    s3 = client("s3")

    def sink_factory(tenant_id: str, export_id: str, staging: Path) -> S3ExportSink:
        return S3ExportSink(s3, settings.bucket_name, export_prefix(tenant_id, export_id), staging)

    def sign(key: str) -> str:
        return presigned_get_url(s3, settings.bucket_name, key, settings.export_url_ttl_seconds)

    def run_here(tenant_id: str, export_id: str) -> Any:
        return service.run_export(tenant_id, export_id)

    service = ExportService(
        DynamoExportRuns(client("dynamodb"), settings.table_name),
        tenant_exporter(settings),
        sink_factory,
        dispatcher or default_dispatcher(settings, run_here),
        sign,
    )
    return service


def build_import_service(settings: Settings) -> ImportService:
    return ImportService(
        DynamoRecordWriter(client("dynamodb"), settings.table_name),
        S3BinaryTarget(client("s3"), settings.bucket_name),
        signer=export_signer(settings),
    )
