"""API: the Cognito user pool that issues identities (custom ``tenant_id`` and ``role``) and the HTTP API
whose JWT authorizer guards every route except the three public ones."""

from __future__ import annotations

import jsii
from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Validations
from aws_cdk import aws_apigateway as rest
from aws_cdk import aws_apigatewayv2 as apigw
from aws_cdk import aws_apigatewayv2_authorizers as authorizers
from aws_cdk import aws_apigatewayv2_integrations as integrations
from aws_cdk import aws_cognito as cognito
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from workengine_infra import constants as c

ACCESS_LOG_FORMAT = (
    '{"requestId":"$context.requestId","ip":"$context.identity.sourceIp",'
    '"requestTime":"$context.requestTime","routeKey":"$context.routeKey","status":"$context.status",'
    '"latencyMs":"$context.responseLatency","integrationError":"$context.integrationErrorMessage",'
    '"authorizerError":"$context.authorizer.error","sub":"$context.authorizer.claims.sub"}'
)


class ApiConstruct(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: lambda_.IFunction,
        prod: bool,
        allowed_origins: list[str],
    ) -> None:
        super().__init__(scope, construct_id)
        removal = RemovalPolicy.RETAIN if prod else RemovalPolicy.DESTROY
        self.user_pool = self._user_pool(prod, removal)
        self.user_pool_client = self.user_pool.add_client(
            "WebClient",
            auth_flows=cognito.AuthFlow(user_srp=True),
            disable_o_auth=True,  # clients sign in with SRP (Amplify Auth / aws cognito-idp); no hosted UI
            generate_secret=False,
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            read_attributes=cognito.ClientAttributes()
            .with_standard_attributes(email=True, email_verified=True, fullname=True)
            .with_custom_attributes(c.TENANT_ATTRIBUTE, c.ROLE_ATTRIBUTE),
            # Users never write their own tenant or role; only admins can (AdminUpdateUserAttributes).
            write_attributes=cognito.ClientAttributes().with_standard_attributes(fullname=True),
        )
        issuer = (
            f"https://cognito-idp.{self.user_pool.stack.region}.amazonaws.com/{self.user_pool.user_pool_id}"
        )
        self.authorizer = authorizers.HttpJwtAuthorizer(
            "CognitoAuthorizer",
            issuer,
            # The API reads custom:tenant_id/custom:role: claims of the ID token (aud = the client id).
            jwt_audience=[self.user_pool_client.user_pool_client_id],
            identity_source=["$request.header.Authorization"],
        )
        self.http_api = apigw.HttpApi(
            self,
            "HttpApi",
            description="Work engine API",
            create_default_stage=False,
            cors_preflight=apigw.CorsPreflightOptions(
                allow_origins=allowed_origins,
                allow_methods=[apigw.CorsHttpMethod.ANY],
                allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
                max_age=Duration.hours(1),
            ),
        )
        self.access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS if prod else logs.RetentionDays.TWO_WEEKS,
            removal_policy=removal,
        )
        self.stage = apigw.HttpStage(
            self,
            "DefaultStage",
            http_api=self.http_api,
            stage_name="$default",
            auto_deploy=True,
            throttle=apigw.ThrottleSettings(
                rate_limit=c.THROTTLE_RATE_LIMIT, burst_limit=c.THROTTLE_BURST_LIMIT
            ),
            access_log_settings=JsonAccessLogSettings(self.access_logs),
        )
        integration = integrations.HttpLambdaIntegration("ApiIntegration", handler)
        self.http_api.add_routes(
            path=c.PROXY_ROUTE_PATH,
            methods=[apigw.HttpMethod.ANY],
            integration=integration,
            authorizer=self.authorizer,
        )
        for route_key in c.PUBLIC_ROUTES:
            method, path = route_key.split(" ", 1)
            routes = self.http_api.add_routes(
                path=path,
                methods=[apigw.HttpMethod(method)],
                integration=integration,
                authorizer=apigw.HttpNoneAuthorizer(),
            )
            for route in routes:
                Validations.of(route).acknowledge(
                    Acknowledgment(
                        id="AwsSolutions-APIG4",
                        reason=f"{route_key} is public by contract (health check, API description); it reads "
                        "no tenant data.",
                    )
                )

    @property
    def url(self) -> str:
        return self.stage.url

    def _user_pool(self, prod: bool, removal: RemovalPolicy) -> cognito.UserPool:
        pool = cognito.UserPool(
            self,
            "UserPool",
            self_sign_up_enabled=False,  # administrators create users with their tenant and role
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            custom_attributes={
                c.TENANT_ATTRIBUTE: cognito.StringAttribute(min_len=1, max_len=64, mutable=False),
                c.ROLE_ATTRIBUTE: cognito.StringAttribute(min_len=4, max_len=16, mutable=True),
            },
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
                temp_password_validity=Duration.days(3),
            ),
            mfa=cognito.Mfa.REQUIRED if prod else cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(sms=False, otp=True),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            deletion_protection=prod,
            removal_policy=removal,
        )
        if not prod:
            Validations.of(pool).acknowledge(
                Acknowledgment(
                    id="AwsSolutions-COG2",
                    reason="Non-production stages let test users skip TOTP; the prod stage requires MFA.",
                )
            )
        plus_plan = (
            "Threat protection needs the Cognito Plus feature plan (per-user cost); it is a purchasing "
            "decision left to the operator, documented in the README."
        )
        Validations.of(pool).acknowledge(
            Acknowledgment(id="AwsSolutions-COG3", reason=plus_plan),
            Acknowledgment(id="AwsSolutions-COG8", reason=plus_plan),
        )
        return pool


@jsii.implements(apigw.IAccessLogSettings)
class JsonAccessLogSettings:
    """JSON access log lines into ``log_group``."""

    def __init__(self, log_group: logs.ILogGroup) -> None:
        self._destination = apigw.LogGroupLogDestination(log_group)

    @property
    def destination(self) -> apigw.IAccessLogDestination:
        return self._destination

    @property
    def format(self) -> rest.AccessLogFormat:
        return rest.AccessLogFormat.custom(ACCESS_LOG_FORMAT)
