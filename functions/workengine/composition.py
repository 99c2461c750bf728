"""The composition root: the one place that builds repositories, services, the sweep and the
workers from ``Settings``. Every entry point (API, sweep, workers, local server, CLI, benchmark) takes
its collaborators from a ``Container``.

Each collaborator is a lazily built, cached property whose imports live inside it, so a cold start pays
only for what its first request needs (the artifact-uploaded function never imports the export service).
``container()`` is the process's container; ``reset()`` forgets it (tests switch backends between
cases); ``reload_catalog()`` drops the catalog and everything built on it (the local server's content
watcher).
"""

from __future__ import annotations

import threading
from functools import cached_property
from typing import TYPE_CHECKING, Any

# Every function calls AWS on its first invocation: boto3 is imported with the container, at init, not
# left for the first request to pay. The settings (a pydantic model: pydantic's model machinery, ~30 ms)
# are read where the container is first built; the API reads them at init (its cold-start check).
from workengine.dal.aws import client as aws_client

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from aws_lambda_powertools.utilities.idempotency import DynamoDBPersistenceLayer

    from workengine.catalog.loader import TemplateCatalog
    from workengine.dal.artifact_repository import DynamoArtifactRepository, S3ArtifactStore
    from workengine.dal.attention_reads import DynamoAttentionReader
    from workengine.dal.bundle_repository import DynamoBundleRepository
    from workengine.dal.due_task_repository import DynamoDueTaskRepository
    from workengine.dal.job_repository import DynamoJobRepository
    from workengine.dal.mailer import SesMailer
    from workengine.dal.notification_repository import DynamoNotificationRepository
    from workengine.dal.reminder_repository import DynamoReminderRepository
    from workengine.dal.schedule_repository import DynamoScheduleRepository
    from workengine.dal.showcase_markers import DynamoShowcaseMarkers
    from workengine.dal.stats_repository import DynamoStatsRepository
    from workengine.dal.stream_records import EntityChange
    from workengine.dal.user_directory import UserDirectory
    from workengine.domain.entities import Bundle, Task
    from workengine.domain.export_signing import ManifestSigner
    from workengine.services.approval_service import ApprovalService
    from workengine.services.archived_binaries import ArchivedBinaries
    from workengine.services.artifact_proof import ArtifactProofChecker
    from workengine.services.artifact_service import ArtifactLimits, ArtifactService
    from workengine.services.assistant_providers import AssistantProvider
    from workengine.services.attention_service import AttentionService
    from workengine.services.bundle_service import BundleService, Clock
    from workengine.services.condition_sweep import ConditionSweep
    from workengine.services.digest_service import DigestService
    from workengine.services.drift_service import DriftService
    from workengine.services.event_trigger_service import EventTriggerService
    from workengine.services.export_service import ExportDispatcher, ExportService, TenantExporter
    from workengine.services.import_service import ImportService
    from workengine.services.job_requests import JobRequestService
    from workengine.services.job_runner import JobRunner
    from workengine.services.notification_service import NotificationService
    from workengine.services.pagination import PageTokenCodec
    from workengine.services.pinned_definitions import PinnedDefinitions
    from workengine.services.preference_service import PreferenceService
    from workengine.services.reminder_service import ReminderService
    from workengine.services.schedule_service import ScheduleService
    from workengine.services.showcases.service import ShowcaseService
    from workengine.services.showcases.stage import StageServices
    from workengine.services.stats_aggregator import StatsAggregator
    from workengine.services.sweep_service import SweepService
    from workengine.services.sweep_work import SweepHandover
    from workengine.services.task_action_service import TaskActionService
    from workengine.services.task_commit import TaskCommitter
    from workengine.services.task_service import TaskService
    from workengine.services.template_service import TemplateService
    from workengine.services.template_stats_service import TemplateStatsService
    from workengine.services.upload_expiry import UploadExpiryService
    from workengine.settings import Settings

# Collaborators built on the template catalog: ``reload_catalog`` drops them with it.
CATALOG_DEPENDENTS = (
    "catalog",
    "pinned_definitions",
    "task_committer",
    "bundle_service",
    "task_service",
    "approval_service",
    "task_action_service",
    "template_service",
    "job_requests",
    "job_runner",
    "schedule_service",
    "event_trigger_service",
    "condition_sweep",
    "sweep_service",
    "template_stats_service",
    "drift_service",
    "showcase_service",
)


class Container:
    """Everything one process runs with, built on first use from ``settings``.

    ``catalog`` replaces the configured template catalog; ``export_dispatcher`` replaces how ``POST
    /exports`` starts a run; ``sweep_handover`` replaces the sweep queue; ``assistant_provider`` replaces
    the configured model provider (tests, the CLI, the benchmark).
    """

    def __init__(
        self,
        settings: Settings,
        catalog: TemplateCatalog | None = None,
        *,
        export_dispatcher: ExportDispatcher | None = None,
        sweep_handover: SweepHandover | None = None,
        assistant_provider: AssistantProvider | None = None,
    ) -> None:
        self.settings = settings
        self._catalog_override = catalog
        self._export_dispatcher = export_dispatcher
        self._sweep_handover = sweep_handover
        self._assistant_provider = assistant_provider
        self._clients: dict[str, Any] = {}
        self._clients_lock = threading.Lock()

    # -- AWS clients (created by dal.aws only; one per service per container) --

    def client(self, service: str) -> Any:
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = aws_client(service)
            return self._clients[service]

    # -- content --

    @cached_property
    def catalog(self) -> TemplateCatalog:
        if self._catalog_override is not None:
            return self._catalog_override
        from pathlib import Path

        from workengine.catalog.loader import find_content_dir, load_catalog_from

        content_path = self.settings.content_path
        source = find_content_dir(Path(content_path) if content_path else None)
        if source is None:
            raise RuntimeError("no template catalog found: set WORKENGINE_CONTENT_PATH")
        return load_catalog_from(source)

    @cached_property
    def page_tokens(self) -> PageTokenCodec:
        """Signs page tokens. In a Lambda the API's cold start refuses a missing or development key first
        (``handlers.api.dependencies.check_cold_start``); the sweep, which hands out no tokens, does not."""
        from workengine.services.pagination import PageTokenCodec

        return PageTokenCodec(self.settings.pagination_secret)

    # -- repositories and stores --

    @cached_property
    def bundle_repository(self) -> DynamoBundleRepository:
        from workengine.dal.bundle_repository import DynamoBundleRepository

        return DynamoBundleRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def reminder_repository(self) -> DynamoReminderRepository:
        from workengine.dal.reminder_repository import DynamoReminderRepository

        return DynamoReminderRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def due_task_repository(self) -> DynamoDueTaskRepository:
        from workengine.dal.due_task_repository import DynamoDueTaskRepository

        return DynamoDueTaskRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def schedule_repository(self) -> DynamoScheduleRepository:
        from workengine.dal.schedule_repository import DynamoScheduleRepository

        return DynamoScheduleRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def artifact_repository(self) -> DynamoArtifactRepository:
        from workengine.dal.artifact_repository import DynamoArtifactRepository

        return DynamoArtifactRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def artifact_store(self) -> S3ArtifactStore:
        from workengine.dal.artifact_repository import S3ArtifactStore

        return S3ArtifactStore(self.client("s3"), self.settings.bucket_name)

    @cached_property
    def idempotency_store(self) -> DynamoDBPersistenceLayer:
        """Idempotency records of ``POST /bundles`` (Powertools' DynamoDB persistence layer)."""
        from workengine.dal.idempotency_store import bundle_idempotency_store

        return bundle_idempotency_store(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def pinned_definitions(self) -> PinnedDefinitions:
        """One per container: every service reads bundles' definitions through the same cache."""
        from workengine.services.pinned_definitions import PinnedDefinitions

        return PinnedDefinitions(self.catalog, self.bundle_repository)

    # -- what task and bundle changes consult besides the bundle repository --

    @cached_property
    def artifact_proof(self) -> ArtifactProofChecker:
        """Task proof names only uploaded artifacts of the task's bundle."""
        from workengine.services.artifact_proof import UploadedArtifactProof

        return UploadedArtifactProof(self.artifact_repository)

    @cached_property
    def archived_binaries(self) -> ArchivedBinaries:
        """Archiving hands a bundle's binaries to the bucket's lifecycle rule; reopening takes them back."""
        from workengine.services.archived_binaries import LifecycleArchivedBinaries

        return LifecycleArchivedBinaries(self.artifact_repository, self.artifact_store)

    # -- bundles, tasks, approvals, task actions, templates --

    @cached_property
    def task_committer(self) -> TaskCommitter:
        from workengine.domain.ids import new_id
        from workengine.services.task_commit import TaskCommitter

        return TaskCommitter(self.bundle_repository, self.pinned_definitions, new_id)

    @cached_property
    def bundle_service(self) -> BundleService:
        from workengine.services.bundle_service import BundleService

        return BundleService(
            self.bundle_repository,
            self.catalog,
            self.page_tokens,
            archived_binaries=self.archived_binaries,
            definitions=self.pinned_definitions,
        )

    @cached_property
    def task_service(self) -> TaskService:
        from workengine.services.task_service import TaskService

        return TaskService(
            self.bundle_repository,
            self.catalog,
            self.page_tokens,
            proof=self.artifact_proof,
            definitions=self.pinned_definitions,
        )

    @cached_property
    def approval_service(self) -> ApprovalService:
        from workengine.services.approval_service import ApprovalService

        return ApprovalService(self.bundle_repository, self.task_committer)

    @cached_property
    def task_action_service(self) -> TaskActionService:
        from workengine.services.task_action_service import TaskActionService

        return TaskActionService(self.bundle_repository, self.task_committer, self.page_tokens)

    @cached_property
    def attention_reader(self) -> DynamoAttentionReader:
        from workengine.dal.attention_reads import DynamoAttentionReader

        return DynamoAttentionReader(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def attention_service(self) -> AttentionService:
        from workengine.services.attention_service import AttentionService

        return AttentionService(self.attention_reader)

    @cached_property
    def event_trigger_service(self) -> EventTriggerService:
        from workengine.services.event_trigger_service import EventTriggerService

        return EventTriggerService(self.bundle_service, self.reminder_repository, self.catalog)

    @cached_property
    def template_service(self) -> TemplateService:
        from workengine.services.template_service import TemplateService

        return TemplateService(self.catalog)

    # -- template statistics and drift (kept from the table's stream) --

    @cached_property
    def stats_repository(self) -> DynamoStatsRepository:
        from workengine.dal.stats_repository import DynamoStatsRepository

        return DynamoStatsRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def stats_aggregator(self) -> StatsAggregator:
        from workengine.services.stats_aggregator import StatsAggregator

        return StatsAggregator(self.stats_repository, self.bundle_repository)

    @property
    def stream_changes(
        self,
    ) -> Callable[[Mapping[str, Any]], EntityChange[Bundle] | EntityChange[Task] | None]:
        """Decodes a DynamoDB stream record into the bundle or task change it carries (None: another item)."""
        from workengine.dal.stream_records import entity_change

        return entity_change

    @cached_property
    def template_stats_service(self) -> TemplateStatsService:
        from workengine.services.template_stats_service import TemplateStatsService

        return TemplateStatsService(self.stats_repository, self.pinned_definitions)

    @cached_property
    def drift_service(self) -> DriftService:
        from workengine.services.drift_service import DriftService

        return DriftService(self.stats_repository, self.pinned_definitions)

    # -- artifacts and assistant jobs --

    @cached_property
    def artifact_limits(self) -> ArtifactLimits:
        from workengine.services.artifact_service import ArtifactLimits

        settings = self.settings
        return ArtifactLimits(
            max_bytes=settings.max_artifact_bytes,
            allowed_content_types=frozenset(kind.lower() for kind in settings.allowed_content_types),
            upload_url_ttl_seconds=settings.upload_url_ttl_seconds,
            download_url_ttl_seconds=settings.download_url_ttl_seconds,
        )

    @cached_property
    def artifact_service(self) -> ArtifactService:
        from workengine.services.artifact_service import ArtifactService

        return ArtifactService(
            self.artifact_repository, self.bundle_repository, self.artifact_store, self.artifact_limits
        )

    @cached_property
    def assistant_provider(self) -> AssistantProvider:
        if self._assistant_provider is not None:
            return self._assistant_provider
        from workengine.services.assistant_providers import BedrockAssistantProvider, LocalAssistantProvider

        settings = self.settings
        if settings.assistant_provider == "bedrock":
            return BedrockAssistantProvider(
                self.client("bedrock-runtime"), settings.bedrock_model_id, settings.bedrock_max_tokens
            )
        return LocalAssistantProvider()

    @cached_property
    def job_repository(self) -> DynamoJobRepository:
        from workengine.dal.job_repository import DynamoJobRepository

        return DynamoJobRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def job_requests(self) -> JobRequestService:
        """The API's side of assistant jobs: requests go to the jobs queue (locally the local server
        drains it into the jobs worker's handler)."""
        from workengine.dal.job_repository import SqsJobQueue
        from workengine.services.job_requests import JobRequestService

        settings = self.settings
        return JobRequestService(
            self.job_repository,
            self.bundle_repository,
            self.catalog,
            SqsJobQueue(self.client("sqs"), settings.jobs_queue_url, settings.jobs_queue_name),
            definitions=self.pinned_definitions,
        )

    @cached_property
    def job_runner(self) -> JobRunner:
        """The jobs worker's side: runs a queued job on the configured assistant provider."""
        from workengine.services.job_runner import JobRunner, RetryPolicy

        settings = self.settings
        return JobRunner(
            self.job_repository,
            self.bundle_repository,
            self.catalog,
            self.assistant_provider,
            retry=RetryPolicy(settings.assistant_max_attempts, settings.assistant_retry_base_seconds),
            definitions=self.pinned_definitions,
            conditions=self.condition_sweep,
        )

    # -- exports and imports --

    @cached_property
    def export_signer(self) -> ManifestSigner:
        """Exports are signed with a key derived from the stack's signing secret (the pagination secret)."""
        from workengine.domain.export_signing import ManifestSigner

        return ManifestSigner(self.settings.pagination_secret)

    @cached_property
    def tenant_exporter(self) -> TenantExporter:
        from workengine.dal.export_storage import DynamoTenantItems, S3BinarySource
        from workengine.services.export_service import TenantExporter

        return TenantExporter(
            DynamoTenantItems(self.client("dynamodb"), self.settings.table_name),
            S3BinarySource(self.client("s3"), self.settings.bucket_name),
            signer=self.export_signer,
        )

    @cached_property
    def export_dispatcher(self) -> ExportDispatcher:
        """An asynchronous Lambda invocation when the worker function is configured (AWS), else a run on
        an in-process background thread (``workengine serve``, tests); in a Lambda without the worker
        function, a dispatcher that refuses (a thread of a frozen sandbox would never finish)."""
        if self._export_dispatcher is not None:
            return self._export_dispatcher
        settings = self.settings
        if settings.export_function_name:
            from workengine.dal.export_storage import LambdaExportDispatcher

            return LambdaExportDispatcher(self.client("lambda"), settings.export_function_name)
        if settings.in_lambda:
            return refuse_in_process_dispatch
        from workengine.services.in_process_exports import InProcessExportDispatcher

        return InProcessExportDispatcher(
            lambda tenant_id, export_id: self.export_service.run_export(tenant_id, export_id)
        )

    @cached_property
    def export_service(self) -> ExportService:
        from pathlib import Path

        from workengine.dal.export_storage import (
            DynamoExportRuns,
            S3ExportSink,
            export_prefix,
            presigned_get_url,
        )
        from workengine.services.export_service import ExportService

        settings = self.settings
        s3 = self.client("s3")

        def sink_factory(tenant_id: str, export_id: str, staging: Path) -> S3ExportSink:
            return S3ExportSink(s3, settings.bucket_name, export_prefix(tenant_id, export_id), staging)

        def sign(key: str) -> str:
            return presigned_get_url(s3, settings.bucket_name, key, settings.export_url_ttl_seconds)

        return ExportService(
            DynamoExportRuns(self.client("dynamodb"), settings.table_name),
            self.tenant_exporter,
            sink_factory,
            lambda tenant_id, export_id: self.export_dispatcher(tenant_id, export_id),
            sign,
        )

    @cached_property
    def import_service(self) -> ImportService:
        from workengine.dal.export_storage import DynamoRecordWriter, S3BinaryTarget
        from workengine.services.import_service import ImportService

        return ImportService(
            DynamoRecordWriter(self.client("dynamodb"), self.settings.table_name),
            S3BinaryTarget(self.client("s3"), self.settings.bucket_name),
            signer=self.export_signer,
        )

    # -- reminders, schedules and the sweep --

    @cached_property
    def reminder_service(self) -> ReminderService:
        from workengine.services.reminder_service import ReminderService

        return ReminderService(self.reminder_repository, self.page_tokens)

    @cached_property
    def schedule_service(self) -> ScheduleService:
        from workengine.services.schedule_service import ScheduleService

        return ScheduleService(
            self.schedule_repository,
            self.reminder_repository,
            self.bundle_service,
            self.catalog,
            self.page_tokens,
        )

    # -- notification preferences and reminder email --

    @cached_property
    def notification_repository(self) -> DynamoNotificationRepository:
        from workengine.dal.notification_repository import DynamoNotificationRepository

        return DynamoNotificationRepository(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def preference_service(self) -> PreferenceService:
        from workengine.domain.clock import utc_now
        from workengine.services.preference_service import PreferenceService

        return PreferenceService(self.notification_repository, utc_now)

    @cached_property
    def mailer(self) -> SesMailer:
        from workengine.dal.mailer import SesMailer

        return SesMailer(self.client("sesv2"), self.settings.email_sender)

    @cached_property
    def user_directory(self) -> UserDirectory:
        """The Cognito user pool in AWS (``user_pool_id`` set); locally addresses come from preferences."""
        from workengine.dal.user_directory import CognitoDirectory, NoDirectory

        pool = self.settings.user_pool_id
        return CognitoDirectory(self.client("cognito-idp"), pool) if pool else NoDirectory()

    @cached_property
    def notifications(self) -> NotificationService:
        from workengine.services.notification_service import NotificationService

        return NotificationService(
            self.notification_repository,
            self.mailer,
            self.user_directory,
            page_size=self.settings.sweep_page_size,
        )

    @cached_property
    def digests(self) -> DigestService:
        from workengine.services.digest_service import DigestService

        return DigestService(
            self.notification_repository,
            self.mailer,
            self.user_directory,
            page_size=self.settings.sweep_page_size,
        )

    @cached_property
    def condition_sweep(self) -> ConditionSweep:
        from workengine.services.condition_sweep import ConditionSweep

        return ConditionSweep(self.bundle_repository, self.pinned_definitions)

    @cached_property
    def upload_expiry(self) -> UploadExpiryService:
        from datetime import timedelta

        from workengine.services.upload_expiry import UploadExpiryService

        settings = self.settings
        return UploadExpiryService(
            self.artifact_repository,
            upload_url_ttl=timedelta(seconds=settings.upload_url_ttl_seconds),
            margin=timedelta(seconds=settings.upload_expiry_margin_seconds),
            page_size=settings.sweep_page_size,
        )

    @cached_property
    def sweep_service(self) -> SweepService:
        """The sweep; with ``sweep_queue_url`` set (or a handover given) it fans shards out and hands
        remainders on, else one process sweeps every shard."""
        from workengine.dal.reminder_publisher import ReminderPublisher
        from workengine.domain.ids import new_id
        from workengine.services.sweep_service import SweepService
        from workengine.services.task_action_sweep import TaskActionSweep

        settings = self.settings
        handover = self._sweep_handover
        if handover is None and settings.sweep_queue_url:
            from workengine.dal.sweep_queue import SqsSweepQueue

            handover = SqsSweepQueue(self.client("sqs"), settings.sweep_queue_url)
        return SweepService(
            self.due_task_repository,
            self.reminder_repository,
            ReminderPublisher(
                self.client("events"), settings.event_bus_name, max_attempts=settings.publish_max_attempts
            ),
            self.schedule_service,
            visitors=[TaskActionSweep(self.bundle_repository, new_id)],
            uploads=self.upload_expiry,
            handover=handover,
            notifications=self.notifications,
            digests=self.digests,
            page_size=settings.sweep_page_size,
        )

    # -- showcases --

    @cached_property
    def showcase_markers(self) -> DynamoShowcaseMarkers:
        from workengine.dal.showcase_markers import DynamoShowcaseMarkers

        return DynamoShowcaseMarkers(self.client("dynamodb"), self.settings.table_name)

    @cached_property
    def showcase_service(self) -> ShowcaseService:
        from workengine.services.showcases.service import ShowcaseService

        return ShowcaseService(
            self.showcase_markers, self.bundle_repository, self.reminder_repository, self.showcase_stage
        )

    def showcase_stage(self, clock: Clock, provider: AssistantProvider) -> StageServices:
        """The services a showcase acts through, each on the showcase's clock (built per run, never
        cached): jobs run inline on the scripted provider, the sweep creates reminders but publishes none
        (the scheduled sweep does), evidence goes up through presigned URLs."""
        from workengine.dal.presigned_upload import HttpObjectUploader
        from workengine.domain.ids import new_id
        from workengine.services.approval_service import ApprovalService
        from workengine.services.artifact_service import ArtifactService
        from workengine.services.bundle_service import BundleService
        from workengine.services.job_requests import JobRequestService
        from workengine.services.job_runner import JobRunner, RetryPolicy
        from workengine.services.showcases.stage import DeferredPublisher, InlineJobQueue, StageServices
        from workengine.services.sweep_service import SweepService
        from workengine.services.task_action_service import TaskActionService
        from workengine.services.task_action_sweep import TaskActionSweep
        from workengine.services.task_service import TaskService

        bundles, definitions = self.bundle_repository, self.pinned_definitions
        return StageServices(
            bundles=BundleService(
                bundles,
                self.catalog,
                self.page_tokens,
                archived_binaries=self.archived_binaries,
                definitions=definitions,
                clock=clock,
            ),
            tasks=TaskService(
                bundles,
                self.catalog,
                self.page_tokens,
                proof=self.artifact_proof,
                definitions=definitions,
                clock=clock,
                committer=self.task_committer,
            ),
            approvals=ApprovalService(bundles, self.task_committer, clock=clock),
            actions=TaskActionService(bundles, self.task_committer, self.page_tokens, clock=clock),
            artifacts=ArtifactService(
                self.artifact_repository, bundles, self.artifact_store, self.artifact_limits, clock=clock
            ),
            jobs=JobRequestService(
                self.job_repository,
                bundles,
                self.catalog,
                InlineJobQueue(),
                clock=clock,
                definitions=definitions,
            ),
            job_runs=JobRunner(
                self.job_repository,
                bundles,
                self.catalog,
                provider,
                retry=RetryPolicy(max_attempts=1),
                clock=clock,
                definitions=definitions,
                conditions=self.condition_sweep,
            ),
            sweep=SweepService(
                self.due_task_repository,
                self.reminder_repository,
                DeferredPublisher(),
                visitors=[TaskActionSweep(bundles, new_id)],
            ),
            uploader=HttpObjectUploader(),
        )

    def reload_catalog(self) -> None:
        """Drop the catalog and every collaborator built on it; the next use loads the content again."""
        for name in CATALOG_DEPENDENTS:
            self.__dict__.pop(name, None)


def refuse_in_process_dispatch(tenant_id: str, export_id: str) -> None:
    """In AWS there is no fallback: a thread of a Lambda sandbox freezes between invocations, so an
    export started on one would never finish. Raises InsecureSettingsError."""
    from workengine.settings import InsecureSettingsError

    raise InsecureSettingsError(
        "WORKENGINE_EXPORT_FUNCTION_NAME is not set; in AWS exports run in the export worker function"
    )


_CONTAINER: Container | None = None
_LOCK = threading.Lock()


def container() -> Container:
    """The process's container, built from ``get_settings()`` on first use (and again when the settings
    were reloaded: ``get_settings.cache_clear()``)."""
    from workengine.settings import get_settings

    global _CONTAINER
    settings = get_settings()
    with _LOCK:
        if _CONTAINER is None or _CONTAINER.settings is not settings:
            _CONTAINER = Container(settings)
        return _CONTAINER


def reset() -> None:
    """Forget the settings, every client and every collaborator (tests switch backends between cases)."""
    from workengine.settings import get_settings

    global _CONTAINER
    with _LOCK:
        _CONTAINER = None
        get_settings.cache_clear()


def reload_catalog() -> None:
    """Drop the template catalog and every service built on it; the next request loads the content again
    (the local server calls this when files under content/ change)."""
    with _LOCK:
        current = _CONTAINER
    if current is not None:
        current.reload_catalog()
