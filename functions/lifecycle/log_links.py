"""Where a run's logs are: its log group, stream, request id and a link filtered on the run id."""

from __future__ import annotations

from urllib.parse import quote

from functions.data.run_types import LogLocation
from functions.settings import get_settings


def log_location(
    run_id: str, log_group: str | None, log_stream: str | None = None, request_id: str | None = None
) -> LogLocation:
    settings = get_settings()
    # Logs Insights links escape their query with '*' in place of '%'.
    escaped_group = quote(log_group or "", safe="").replace("%", "*")
    link = settings.log_link_template.format(region=settings.region, run_id=run_id, log_group=escaped_group)
    return LogLocation(log_group=log_group, log_stream=log_stream, request_id=request_id, link=link)


def function_log_group(function_arn: str) -> str:
    """Lambda's default log group of a function, from its (possibly qualified) ARN."""
    parts = function_arn.split(":")
    name = parts[6] if len(parts) > 6 else function_arn
    return f"/aws/lambda/{name}"
