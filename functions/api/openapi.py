"""The OpenAPI document of the admin API.

`python -m functions.api.openapi` prints it (sorted keys, so the committed docs/openapi.json diffs cleanly);
GET /openapi.json serves the same text.
"""

from __future__ import annotations

import json

from aws_lambda_powertools.event_handler.api_gateway import ApiGatewayResolver
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer, Tag

TITLE = "DevSphere Automation admin API"
VERSION = "1.0.0"
DESCRIPTION = (
    "Status, logs, run-now, pause and resume for DevSphere OS background automations. "
    "Every request carries a Cognito ID token (`Authorization: Bearer <token>`) of a user in the "
    '`admin` or `ceo` group. Every error is `{"error": {"code", "message", ...}}`.'
)
SECURITY_SCHEME = "cognito"


def openapi_json(app: ApiGatewayResolver) -> str:
    document = app.get_openapi_json_schema(
        title=TITLE,
        version=VERSION,
        description=DESCRIPTION,
        tags=[
            Tag(name="jobs", description="Job status and running a job now"),
            Tag(name="runs", description="The run log"),
            Tag(name="schedules", description="Pausing and resuming schedules"),
        ],
        security_schemes={SECURITY_SCHEME: HTTPBearer(bearerFormat="JWT", description="Cognito ID token")},
        security=[{SECURITY_SCHEME: []}],
    )
    return json.dumps(json.loads(document), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    from functions.api import app as api

    print(openapi_json(api.app), end="")
