"""Events start bundles: each template whose event trigger names the event's detail type gets one bundle
per event, whichever door (the bus or ``POST /events``) and however often the event arrives."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workengine.catalog.loader import TemplateCatalog
from workengine.dal.reminder_repository import DynamoReminderRepository
from workengine.dal.transactions import TransactionConflict, TransactionContention, bundle_ref
from workengine.domain.bus_events import EventRejectedError, TriggeringEvent
from workengine.domain.clock import Clock, utc_now
from workengine.domain.entities import Reminder, today_utc
from workengine.domain.enums import ReminderKind, Role
from workengine.domain.errors import ValidationFailedError
from workengine.domain.event_triggers import EVENTS_ACTOR, Kickoff, declared_detail_types, plan_kickoffs
from workengine.domain.identity import Identity
from workengine.domain.instantiation import NewBundleRequest
from workengine.domain.reminder_factory import ADMINS_RECIPIENT, bundle_reminder
from workengine.observability import logger
from workengine.retries import retry_while
from workengine.services.bundle_service import BundleService


@dataclass(frozen=True)
class TriggeredBundle:
    bundle_id: str
    template_id: str
    created: bool  # False: an earlier delivery of the same event created it


@dataclass
class TriggerOutcome:
    """What one delivery of an event did: ``matched`` is False when no template takes its detail type;
    ``failures`` are the kickoffs whose detail did not fit (then no bundle was created at all)."""

    matched: bool
    bundles: list[TriggeredBundle] = field(default_factory=list)
    failures: list[Kickoff] = field(default_factory=list)
    reminders: list[Reminder] = field(default_factory=list)

    @property
    def first_problem(self) -> ValidationFailedError | None:
        return next((kickoff.problem for kickoff in self.failures if kickoff.problem is not None), None)


class EventTriggerService:
    """Raises ForbiddenError (``receive`` below member), ValidationFailedError (``receive``: a detail type
    no template takes, or a detail that does not fit a template), ServiceUnavailableError (the table is
    away; nothing decided)."""

    def __init__(
        self,
        bundles: BundleService,
        reminders: DynamoReminderRepository,
        catalog: TemplateCatalog,
        *,
        clock: Clock = utc_now,
    ) -> None:
        self._bundles = bundles
        self._reminders = reminders
        self._catalog = catalog
        self._clock = clock

    def detail_types(self) -> list[str]:
        """The detail types some template is triggered by."""
        return declared_detail_types(self._catalog.list())

    def receive(
        self, identity: Identity, event_id: str, detail_type: str, detail: Mapping[str, Any]
    ) -> list[TriggeredBundle]:
        """The HTTP door: the event belongs to the caller's tenant (a ``tenant_id`` in the detail is
        ignored). A repeated event answers the bundles the first one created."""
        identity.require(Role.MEMBER)
        event = TriggeringEvent(identity.tenant_id, event_id, detail_type, detail)
        outcome = self.trigger(event, identity)
        if not outcome.matched:
            known = self.detail_types()
            raise ValidationFailedError(
                f"no template is triggered by detail type {detail_type!r}",
                {"field": "detail_type", "allowed": known},
            )
        problem = outcome.first_problem
        if problem is not None:
            raise problem
        return outcome.bundles

    def deliver(self, event: TriggeringEvent) -> TriggerOutcome:
        """The bus door: bundles are created by ``system:events``. An event no template takes any more
        (the catalog changed since the rule was deployed) is logged and dropped. Raises
        EventRejectedError when the detail does not fit (after the admins' reminder is written), so
        the message ends in the dead-letter queue."""
        outcome = self.trigger(event, Identity(event.tenant_id, EVENTS_ACTOR, Role.ADMIN))
        if not outcome.matched:
            logger.warning(
                "no template takes this event",
                extra={"tenant_id": event.tenant_id, "detail_type": event.detail_type},
            )
        problem = outcome.first_problem
        if problem is not None:
            raise EventRejectedError(problem.message, problem.details) from problem
        return outcome

    def trigger(self, event: TriggeringEvent, creator: Identity) -> TriggerOutcome:
        """Create the bundle of every template ``event`` triggers, once per event and template (the bundle
        ID derives from the event ID and is written only if absent). When the detail does not fit any of
        them, nothing is created and each misfit leaves one ``automation_failure`` reminder for the
        tenant's admins (also once per event and template)."""
        now = self._clock()
        plans = plan_kickoffs(self._catalog.list(), event, today_utc(now))
        outcome = TriggerOutcome(matched=bool(plans))
        outcome.failures = [plan for plan in plans if plan.problem is not None]
        if outcome.failures:
            for plan in outcome.failures:
                self._report_failure(event, plan, outcome)
            return outcome
        for plan in plans:
            assert plan.request is not None
            created = self._create_once(creator, plan.request, plan.bundle_id)
            outcome.bundles.append(TriggeredBundle(plan.bundle_id, plan.template.template_id, created))
        return outcome

    def _create_once(self, creator: Identity, request: NewBundleRequest, bundle_id: str) -> bool:
        """True when this call created the bundle, False when it was already there."""

        def create() -> bool:
            try:
                self._bundles.create_bundle(creator, request)
            except TransactionConflict as conflict:
                if conflict.on != bundle_ref(bundle_id):
                    raise
                return False
            return True

        # DynamoDB cancels a transaction that meets another one on the same item (both doors at once):
        # nothing was decided, and the retry finds the bundle the other one wrote.
        return retry_while(lambda exc: isinstance(exc, TransactionContention), create)

    def _report_failure(self, event: TriggeringEvent, plan: Kickoff, outcome: TriggerOutcome) -> None:
        problem = plan.problem
        assert problem is not None
        now = self._clock()
        logger.warning(
            "event did not start a bundle",
            extra={
                "tenant_id": event.tenant_id,
                "event_id": event.event_id,
                "template_id": plan.template.template_id,
                "error": problem.message,
            },
        )
        reminder = bundle_reminder(
            event.tenant_id,
            plan.bundle_id,
            ReminderKind.AUTOMATION_FAILURE,
            recipient=ADMINS_RECIPIENT,
            fire_at=now,
            created_at=now,
            message=(
                f"the {event.detail_type} event {event.event_id} did not start a "
                f"{plan.template.title!r} bundle: {problem.message}"
            ),
            details={
                "event_id": event.event_id,
                "detail_type": event.detail_type,
                "template_id": plan.template.template_id,
                "field": problem.details.get("field"),
                "error": problem.message,
            },
        )
        if self._reminders.put_new_reminder(reminder):
            outcome.reminders.append(reminder)
