"""Schedules: the reminder sweep (also starts due recurring bundles) every ``SWEEP_RATE_MINUTES``."""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from workengine_infra import constants as c
from workengine_infra.events import dead_letter_queue


class SchedulesConstruct(Construct):
    def __init__(self, scope: Construct, construct_id: str, *, sweep: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.dead_letter_queue = dead_letter_queue(
            self, "SweepDeadLetterQueue", target_of="the sweep schedule"
        )
        self.sweep_rule = events.Rule(
            self,
            "SweepSchedule",
            description="Reminder sweep and recurring schedules",
            schedule=events.Schedule.rate(Duration.minutes(c.SWEEP_RATE_MINUTES)),
            targets=[
                targets.LambdaFunction(
                    sweep,
                    dead_letter_queue=self.dead_letter_queue,
                    retry_attempts=c.ASYNC_RETRY_ATTEMPTS,
                    # A missed sweep is superseded by the next one; do not retry past its interval.
                    max_event_age=Duration.minutes(c.SWEEP_RATE_MINUTES),
                )
            ],
        )
