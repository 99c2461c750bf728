"""Monitoring: alarms on function errors and throttles, export duration near its timeout, stream
iterator age, table throttling, dead-letter queue depth and API 5xx, all
notifying one encrypted SNS topic (optionally with an e-mail subscription)."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from workengine_infra import constants as c

PERIOD = Duration.minutes(c.ALARM_PERIOD_MINUTES)


class MonitoringConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[str, lambda_.IFunction],
        dead_letter_queues: dict[str, sqs.IQueue],
        http_api: apigw.HttpApi,
        alarm_email: str | None,
        table: dynamodb.ITable,
        timeouts: dict[str, Duration],
        stream_consumers: dict[str, lambda_.IFunction] | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        # CloudWatch can only publish to a topic encrypted with a customer managed key it may use.
        self.key = kms.Key(
            self, "AlarmTopicKey", enable_key_rotation=True, description="Work engine alarm topic"
        )
        self.topic = sns.Topic(self, "AlarmTopic", master_key=self.key, enforce_ssl=True)
        cloudwatch_principal = iam.ServicePrincipal("cloudwatch.amazonaws.com")
        self.key.grant(cloudwatch_principal, "kms:Decrypt", "kms:GenerateDataKey*")
        self.topic.grant_publish(cloudwatch_principal)
        if alarm_email:
            self.topic.add_subscription(subscriptions.EmailSubscription(alarm_email))
        self.alarms: list[cloudwatch.Alarm] = []

        for name, fn in functions.items():
            self._alarm(f"{name}-errors", fn.metric_errors(period=PERIOD, statistic="Sum"), threshold=1)
            self._alarm(f"{name}-throttles", fn.metric_throttles(period=PERIOD, statistic="Sum"), threshold=1)
        # Long runs close to their timeout fail next time the data grows (the export worker above all).
        for name in c.DURATION_ALARMED_FUNCTIONS:
            limit_ms = timeouts[name].to_milliseconds() * c.DURATION_ALARM_FRACTION
            self._alarm(
                f"{name}-duration-near-timeout",
                functions[name].metric_duration(period=PERIOD, statistic="Maximum"),
                threshold=limit_ms,
            )
        # A stream consumer falling behind (failing records retried, or too slow) shows as iterator age.
        for name, fn in (stream_consumers or {}).items():
            self._alarm(
                f"{name}-iterator-age",
                fn.metric("IteratorAge", period=PERIOD, statistic="Maximum"),
                threshold=c.ITERATOR_AGE_ALARM_SECONDS * 1000,
            )
        # On-demand tables throttle too (partition limits, sudden 2x peaks): reads and writes.
        for kind in ("Read", "Write"):
            self._alarm(
                f"table-{kind.lower()}-throttles",
                table.metric(f"{kind}ThrottleEvents", period=PERIOD, statistic="Sum"),
                threshold=1,
            )
        for name, queue in dead_letter_queues.items():
            self._alarm(
                f"{name}-dlq-depth",
                queue.metric_approximate_number_of_messages_visible(period=PERIOD, statistic="Maximum"),
                threshold=1,
            )
        self._alarm(
            "api-5xx",
            http_api.metric_server_error(period=PERIOD, statistic="Sum"),
            threshold=c.API_5XX_ALARM_THRESHOLD,
        )

    def _alarm(self, name: str, metric: cloudwatch.IMetric, *, threshold: float) -> None:
        alarm = cloudwatch.Alarm(
            self,
            name,
            alarm_description=f"{c.SERVICE_NAME} {name}",
            metric=metric,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(actions.SnsAction(self.topic))
        self.alarms.append(alarm)
