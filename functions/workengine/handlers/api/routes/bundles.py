"""``/bundles`` routes: thin, typed, one service call each."""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Query

from workengine.domain.enums import BundleStatus, Role
from workengine.domain.identity import Identity
from workengine.domain.instantiation import NewBundleRequest
from workengine.handlers.api import dependencies as deps
from workengine.handlers.api.schemas import (
    NEXT_TOKEN_PATTERN,
    BundleEnvelope,
    BundlePage,
    BundleWithTasks,
    CreateBundleBody,
    EventPage,
    PatchBundleBody,
    TemplateDetail,
    template_detail,
)
from workengine.observability import logger, metrics
from workengine.services.bundle_service import BundleChange

router = Router()

Caller = Annotated[Identity, Depends(deps.current_identity)]
Limit = Annotated[int, Query(ge=1, le=100)]


def _create(request: dict[str, Any]) -> dict[str, Any]:
    identity = Identity(**request["identity"])
    body = CreateBundleBody.model_validate(request["body"])
    created = deps.bundle_service().create_bundle(
        identity,
        NewBundleRequest(
            template_id=body.template_id,
            title=body.title,
            anchor_date=body.anchor_date,
            references=body.references,
            tags=body.tags,
            assignees=body.assignees,
            inputs=body.inputs,
        ),
    )
    metrics.add_metric(name="BundleCreated", unit="Count", value=1)
    logger.info(
        "bundle created", extra={"bundle_id": created.bundle.bundle_id, "tenant_id": identity.tenant_id}
    )
    return BundleWithTasks(bundle=created.bundle, tasks=created.tasks).model_dump(mode="json")


@router.post("/bundles", status_code=201, summary="Create a bundle from a template")
def create_bundle(
    body: Annotated[CreateBundleBody, Body()],
    identity: Caller,
    idempotency_key: Annotated[str | None, Header(alias="idempotency-key", max_length=255)] = None,
) -> BundleWithTasks:
    """Instantiates every task of the template, resolves assignees from ``assignees`` (role -> user),
    computes due dates from ``anchor_date`` and pins ``template_version``. Member or admin.

    With an ``Idempotency-Key`` header, a repeat with the same key and body returns the first result and
    creates nothing; the same key with another body answers 409 ``IDEMPOTENCY_CONFLICT``.
    """
    payload = body.model_dump(mode="json")
    request = {
        "identity": {"tenant_id": identity.tenant_id, "user_id": identity.user_id, "role": identity.role},
        "body": payload,
    }
    if idempotency_key:
        # Refused before a record is kept: the role first, then what the service would refuse anyway.
        identity.require(Role.MEMBER)
        deps.bundle_service().template(body.template_id).check_assignee_roles(body.assignees)
        from workengine.handlers.api.idempotency import create_idempotently  # only requests with a key pay

        keyed = {**request, "tenant_id": identity.tenant_id, "key": idempotency_key}
        result = create_idempotently(_create, keyed, router.lambda_context)
    else:
        result = _create(request)
    return BundleWithTasks.model_validate(result)


@router.get("/bundles", summary="List bundles, newest first")
def list_bundles(
    identity: Caller,
    status: Annotated[BundleStatus | None, Query()] = None,
    template_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Limit = 25,
    next_token: Annotated[str | None, Query(max_length=2048, pattern=NEXT_TOKEN_PATTERN)] = None,
) -> BundlePage:
    """Bundles of the caller's tenant, newest first, filtered by status and template; paged with
    ``limit`` and ``next_token``. Any role."""
    items, token = deps.bundle_service().list_bundles(
        identity, status=status, template_id=template_id, limit=limit, next_token=next_token
    )
    return BundlePage(items=items, next_token=token)


@router.get("/bundles/<bundle_id>", summary="A bundle with all its tasks")
def get_bundle(bundle_id: str, identity: Caller) -> BundleWithTasks:
    """A bundle and all its tasks (in template order). Any role; another tenant's ID answers 404."""
    bundle, tasks = deps.bundle_service().get_bundle(identity, bundle_id)
    return BundleWithTasks(bundle=bundle, tasks=tasks)


@router.patch("/bundles/<bundle_id>", summary="Update title, stage, status, references or tags")
def patch_bundle(
    bundle_id: str, body: Annotated[PatchBundleBody, Body()], identity: Caller
) -> BundleEnvelope:
    """Changes the fields sent. ``expected_version`` that does not match answers 409
    ``VERSION_CONFLICT``. Members edit title, stage, references and tags; cancelling, archiving or
    reopening (``status``) needs admin."""
    change = BundleChange(fields_set=frozenset(body.model_fields_set), **body.model_dump(exclude_unset=True))
    bundle = deps.bundle_service().update_bundle(identity, bundle_id, change)
    return BundleEnvelope(bundle=bundle)


@router.get("/bundles/<bundle_id>/template", summary="The template definition the bundle runs on (pinned)")
def get_bundle_template(bundle_id: str, identity: Caller) -> TemplateDetail:  # type: ignore[valid-type]
    """The full definition the bundle runs on, pinned when it was created, even after the template
    changed in the catalog; its ``pinned_version`` is the bundle's ``template_version``. Any role."""
    return template_detail(deps.bundle_service().bundle_template(identity, bundle_id))


@router.get("/bundles/<bundle_id>/events", summary="Audit events of a bundle, oldest first")
def list_events(
    bundle_id: str,
    identity: Caller,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    next_token: Annotated[str | None, Query(max_length=2048, pattern=NEXT_TOKEN_PATTERN)] = None,
) -> EventPage:
    """The bundle's audit trail (one event per change of the bundle or its tasks), oldest first. Any
    role."""
    items, token = deps.bundle_service().list_events(identity, bundle_id, limit=limit, next_token=next_token)
    return EventPage(items=items, next_token=token)
