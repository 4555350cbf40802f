"""Configuration from the environment, read when first needed so imports stay cheap and tests can set it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache

DEFAULT_PREFIX = "devsphere-automation"


@dataclass(frozen=True)
class Settings:
    resource_prefix: str
    region: str
    retention_days: int
    alert_topic_arn: str | None
    log_link_template: str
    sender_email: str
    reports_bucket: str
    portal_origin: str
    # Every send names this SES configuration set, whose bounce and complaint events reach email-feedback.
    ses_configuration_set: str
    # The HMAC key of report download links (a Secrets Manager secret) and where the link base URL is kept
    # (an SSM parameter: the API's URL is known only once the API exists, after the job functions).
    report_link_secret: str
    report_download_url_parameter: str

    def function_name(self, job: str) -> str:
        return f"{self.resource_prefix}-{job}"

    def schedule_name(self, job: str) -> str:
        return f"{self.resource_prefix}-{job}"

    @property
    def schedule_group(self) -> str:
        return self.resource_prefix


# A CloudWatch Logs Insights query over every job's log group, filtered on the run id: one link covers
# all invocations of a continued run.
_INSIGHTS_LINK = (
    "https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#logsV2:logs-insights"
    "$3FqueryDetail$3D~(editorString~'fields*20@timestamp*2c*20level*2c*20message*0a*7c*20filter*20run_id*3d*27"
    "{run_id}*27*0a*7c*20sort*20@timestamp*20asc~source~(~'{log_group}))"
)


@cache
def get_settings() -> Settings:
    env = os.environ
    return Settings(
        resource_prefix=env.get("RESOURCE_PREFIX", DEFAULT_PREFIX),
        region=env.get("AWS_REGION", env.get("AWS_DEFAULT_REGION", "eu-west-2")),
        retention_days=int(env.get("RUN_RETENTION_DAYS", "90")),
        alert_topic_arn=env.get("ALERT_TOPIC_ARN") or None,
        log_link_template=env.get("LOG_LINK_TEMPLATE", _INSIGHTS_LINK),
        sender_email=env.get("SENDER_EMAIL", "automation@devsphere.example"),
        reports_bucket=env.get("REPORTS_BUCKET", f"{DEFAULT_PREFIX}-reports"),
        portal_origin=env.get("PORTAL_ORIGIN", "http://127.0.0.1:8000"),
        ses_configuration_set=env.get("SES_CONFIGURATION_SET", f"{DEFAULT_PREFIX}-email"),
        report_link_secret=env.get("REPORT_LINK_SECRET", f"{DEFAULT_PREFIX}-report-links"),
        report_download_url_parameter=env.get(
            "REPORT_DOWNLOAD_URL_PARAMETER", f"/{DEFAULT_PREFIX}/report-download-url"
        ),
    )
