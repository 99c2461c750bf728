"""One Logger and Metrics for every function (service name from POWERTOOLS_SERVICE_NAME).

No Powertools Tracer: the functions run with Lambda active tracing, whose service segments (init,
invocation, overhead) need no SDK in the function; the X-Ray SDK the Tracer loads cost ~150 ms of every
cold start (see docs/decision_log.md)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics

SERVICE = "workengine"
METRICS_NAMESPACE = "WorkEngine"

logger = Logger(service=SERVICE)
metrics = Metrics(namespace=METRICS_NAMESPACE, service=SERVICE)
