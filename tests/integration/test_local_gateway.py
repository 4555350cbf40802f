"""The local gateway: API Gateway's Cognito authorizer and proxy event, /auth, logs, config and files."""

from __future__ import annotations

import gzip
import json
import re
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import jwt
import moto.cognitoidp
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from local.aws import EmbeddedAws
from local.gateway import Gateway, GatewayServer, TokenVerifier
from local.http_edge import Request, Response
from local.lambdas import InvokeResult
from local.logs import LogStore

ORIGIN = "http://127.0.0.1:8000"
PASSWORD = "Demo-pass-12word!"
_JAVA_DATE = re.compile(r"^[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4}$")


@dataclass
class Cognito:
    url: str
    pool_id: str
    client_id: str
    other_client_id: str
    client: Any

    def tokens(self, username: str, client_id: str | None = None) -> dict[str, str]:
        result: dict[str, str] = self.client.initiate_auth(
            AuthFlow="USER_PASSWORD_AUTH",
            ClientId=client_id or self.client_id,
            AuthParameters={"USERNAME": username, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]
        return result

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.eu-west-2.amazonaws.com/{self.pool_id}"


@pytest.fixture(scope="module")
def cognito() -> Iterator[Cognito]:
    emulation = EmbeddedAws(0)
    url = emulation.start()
    client = boto3.client("cognito-idp", endpoint_url=url, region_name="eu-west-2")
    pool_id = client.create_user_pool(PoolName="gateway-test")["UserPool"]["Id"]
    flows = ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
    client_id = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="portal", ExplicitAuthFlows=flows
    )
    other = client.create_user_pool_client(
        UserPoolId=pool_id, ClientName="other-app", ExplicitAuthFlows=flows
    )
    for group in ("admin", "ceo", "sales"):
        client.create_group(UserPoolId=pool_id, GroupName=group)
    for username, groups in (("admin", ("admin", "ceo")), ("viewer", ("sales",))):
        client.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
        client.admin_set_user_password(
            UserPoolId=pool_id, Username=username, Password=PASSWORD, Permanent=True
        )
        for group in groups:
            client.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    yield Cognito(
        url,
        pool_id,
        client_id["UserPoolClient"]["ClientId"],
        other["UserPoolClient"]["ClientId"],
        client,
    )
    emulation.stop()


class Api:
    """Stands in for the API function: records the events it gets and answers as told."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.result = InvokeResult(
            payload={
                "statusCode": 200,
                "headers": {"Content-Type": "application/json"},
                "multiValueHeaders": {"X-Seen": ["a", "b"]},
                "body": '{"jobs": []}',
                "isBase64Encoded": False,
            }
        )

    def __call__(self, event: dict[str, Any]) -> InvokeResult:
        self.events.append(event)
        return self.result


@pytest.fixture
def api() -> Api:
    return Api()


@pytest.fixture
def logs() -> LogStore:
    return LogStore()


@pytest.fixture
def gateway(cognito: Cognito, api: Api, logs: LogStore, tmp_path: Path) -> Gateway:
    (tmp_path / "index.html").write_text("<h1>Automation</h1>", encoding="utf-8")
    (tmp_path / "app.js").write_text("console.log('portal');", encoding="utf-8")
    (tmp_path.parent / "secret.txt").write_text("not for the browser", encoding="utf-8")
    return Gateway(
        origin=ORIGIN,
        region="eu-west-2",
        user_pool_id=cognito.pool_id,
        client_id=cognito.client_id,
        cognito_url=cognito.url,
        verifier=TokenVerifier(
            f"{cognito.url}/{cognito.pool_id}/.well-known/jwks.json", cognito.issuer, cognito.client_id
        ),
        invoke_api=api,
        logs=logs,
        portal_dir=tmp_path,
    )


def _request(method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"") -> Request:
    return Request(method, target, list((headers or {}).items()), body, "127.0.0.1")


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _json(response: Response) -> Any:
    return json.loads(response.body)


# --- the authorizer ---------------------------------------------------------------------------------


def test_given_an_admins_id_token_when_calling_the_api_then_the_function_gets_api_gateways_proxy_event(
    gateway: Gateway, cognito: Cognito, api: Api
) -> None:
    token = cognito.tokens("admin")["IdToken"]

    response = gateway.handle(_request("GET", "/api/runs?job=sequences&limit=5", _bearer(token)))

    assert (response.status, response.body) == (200, b'{"jobs": []}')
    assert response.headers["X-Seen"] == "a,b"
    [event] = api.events
    assert (event["httpMethod"], event["path"], event["resource"]) == ("GET", "/runs", "/{proxy+}")
    assert event["queryStringParameters"] == {"job": "sequences", "limit": "5"}
    assert event["multiValueQueryStringParameters"] == {"job": ["sequences"], "limit": ["5"]}
    assert event["requestContext"]["requestId"]
    claims = event["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(value, str) for value in claims.values())
    assert sorted(claims["cognito:groups"].split(",")) == ["admin", "ceo"]
    assert claims["cognito:username"] == "admin"
    assert claims["token_use"] == "id"
    assert _JAVA_DATE.match(claims["exp"])


def test_given_no_token_or_a_malformed_one_when_calling_the_api_then_401_and_the_function_is_not_called(
    gateway: Gateway, api: Api
) -> None:
    missing = gateway.handle(_request("GET", "/api/jobs"))
    malformed = gateway.handle(_request("GET", "/api/jobs", _bearer("not-a-jwt")))

    for response in (missing, malformed):
        assert response.status == 401
        error = _json(response)["error"]
        assert (error["code"], error["message"]) == ("UNAUTHENTICATED", "Sign in to use this API.")
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert api.events == []


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "bEaReR"])
def test_given_the_bearer_scheme_in_any_case_then_the_token_is_accepted(
    gateway: Gateway, cognito: Cognito, scheme: str
) -> None:
    token = cognito.tokens("admin")["IdToken"]

    response = gateway.handle(_request("GET", "/api/jobs", {"Authorization": f"{scheme} {token}"}))

    assert response.status == 200


@pytest.mark.parametrize(
    "form", ["{token}", "Token {token}", "Bearer", "Bearer{token}", "Bearer {token} extra"]
)
def test_given_a_token_without_the_bearer_scheme_then_401(
    gateway: Gateway, cognito: Cognito, api: Api, form: str
) -> None:
    token = cognito.tokens("admin")["IdToken"]

    response = gateway.handle(_request("GET", "/api/jobs", {"Authorization": form.format(token=token)}))

    assert response.status == 401
    assert api.events == []


def test_given_a_token_forged_with_another_key_and_the_same_claims_then_401(
    gateway: Gateway, cognito: Cognito, api: Api
) -> None:
    genuine = cognito.tokens("admin")["IdToken"]
    claims = jwt.decode(genuine, options={"verify_signature": False})
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = jwt.encode(
        claims, forger, algorithm="RS256", headers={"kid": jwt.get_unverified_header(genuine)["kid"]}
    )

    response = gateway.handle(_request("GET", "/api/jobs", _bearer(forged)))

    assert response.status == 401
    assert api.events == []


def test_given_an_access_token_instead_of_an_id_token_then_401(gateway: Gateway, cognito: Cognito) -> None:
    response = gateway.handle(_request("GET", "/api/jobs", _bearer(cognito.tokens("admin")["AccessToken"])))

    assert response.status == 401


def test_given_an_id_token_of_another_app_client_then_401(gateway: Gateway, cognito: Cognito) -> None:
    token = cognito.tokens("admin", client_id=cognito.other_client_id)["IdToken"]

    response = gateway.handle(_request("GET", "/api/jobs", _bearer(token)))

    assert response.status == 401


def test_given_an_expired_token_signed_with_the_pools_own_key_then_401(
    gateway: Gateway, cognito: Cognito
) -> None:
    claims = jwt.decode(cognito.tokens("admin")["IdToken"], options={"verify_signature": False})
    claims.update(iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    private = Path(moto.cognitoidp.__file__).parent / "resources" / "jwks-private.json.gz"
    key = jwt.PyJWK(json.loads(gzip.decompress(private.read_bytes())))
    expired = jwt.encode(claims, key.key, algorithm="RS256", headers={"kid": key.key_id})

    response = gateway.handle(_request("GET", "/api/jobs", _bearer(expired)))

    assert response.status == 401


def test_given_a_cors_preflight_then_it_is_answered_without_a_token(gateway: Gateway, api: Api) -> None:
    response = gateway.handle(_request("OPTIONS", "/api/jobs/sequences/runs", {"Origin": ORIGIN}))

    assert response.status == 204
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "Authorization" in response.headers["Access-Control-Allow-Headers"]
    assert "Idempotency-Key" in response.headers["Access-Control-Allow-Headers"]
    assert api.events == []


@pytest.mark.parametrize(("error_type", "status"), [("KeyError", 502), ("Sandbox.Timedout", 504)])
def test_given_the_function_fails_then_the_caller_sees_api_gateways_answer_not_the_error(
    gateway: Gateway, cognito: Cognito, api: Api, error_type: str, status: int
) -> None:
    api.result = InvokeResult(error={"errorType": error_type, "errorMessage": "secret detail"})

    response = gateway.handle(_request("GET", "/api/jobs", _bearer(cognito.tokens("admin")["IdToken"])))

    assert response.status == status
    error = _json(response)["error"]
    assert (error["code"], error["message"]) == ("INTERNAL_ERROR", "The request failed; try again.")
    assert b"secret detail" not in response.body


# --- /auth, /logs, /config.json and the portal's files ---------------------------------------------


def _auth(target: str, body: dict[str, Any]) -> Request:
    headers = {"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.1"}
    return _request("POST", "/auth", headers, json.dumps(body).encode())


def test_given_the_portals_sign_in_when_posted_to_auth_then_cognito_answers_through_the_same_origin(
    gateway: Gateway, cognito: Cognito
) -> None:
    parameters = {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": cognito.client_id}
    good = gateway.handle(
        _auth(
            "AWSCognitoIdentityProviderService.InitiateAuth",
            {**parameters, "AuthParameters": {"USERNAME": "viewer", "PASSWORD": PASSWORD}},
        )
    )
    bad = gateway.handle(
        _auth(
            "AWSCognitoIdentityProviderService.InitiateAuth",
            {**parameters, "AuthParameters": {"USERNAME": "viewer", "PASSWORD": "wrong-Password-1!"}},
        )
    )

    assert good.status == 200
    assert good.headers["Cache-Control"] == bad.headers["Cache-Control"] == "no-store"
    token = _json(good)["AuthenticationResult"]["IdToken"]
    assert jwt.decode(token, options={"verify_signature": False})["cognito:username"] == "viewer"
    assert bad.status == 400
    assert _json(bad)["__type"].endswith("NotAuthorizedException")


def test_given_an_admin_operation_when_posted_to_auth_then_it_is_refused_and_nothing_changes(
    gateway: Gateway, cognito: Cognito
) -> None:
    response = gateway.handle(
        _auth(
            "AWSCognitoIdentityProviderService.AdminCreateUser",
            {"UserPoolId": cognito.pool_id, "Username": "x"},
        )
    )

    assert response.status == 400
    users = cognito.client.list_users(UserPoolId=cognito.pool_id)["Users"]
    assert "x" not in {user["Username"] for user in users}


def test_given_a_runs_log_lines_then_the_page_holds_none_and_the_json_needs_a_token_the_api_accepts(
    gateway: Gateway, cognito: Cognito, logs: LogStore, api: Api
) -> None:
    run_id = "01JDX0000000000000000000AB"
    logs.add({"run_id": run_id, "level": "ERROR", "message": "item failed <b>", "item": "contact-7"})
    token = cognito.tokens("admin")["IdToken"]

    page = gateway.handle(_request("GET", f"/logs/{run_id}"))
    anonymous = gateway.handle(_request("GET", f"/logs/{run_id}.json"))
    data = gateway.handle(_request("GET", f"/logs/{run_id}.json", _bearer(token)))
    api.result = InvokeResult(
        payload={"statusCode": 404, "body": '{"error": {"code": "RUN_NOT_FOUND", "message": "no"}}'}
    )
    unknown = gateway.handle(_request("GET", "/logs/01JDX0000000000000000000ZZ.json", _bearer(token)))

    assert page.status == 200 and page.headers["Content-Type"].startswith("text/html")
    assert run_id in page.body.decode() and "contact-7" not in page.body.decode()
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert anonymous.status == 401
    assert _json(data) == {"run_id": run_id, "lines": [logs.lines(run_id)[0]]}
    assert [(event["httpMethod"], event["path"]) for event in api.events] == [
        ("GET", f"/runs/{run_id}"),
        ("GET", "/runs/01JDX0000000000000000000ZZ"),
    ]
    assert unknown.status == 404


def test_given_the_portal_then_config_json_points_it_at_this_origin_and_the_pool(
    gateway: Gateway, cognito: Cognito
) -> None:
    response = gateway.handle(_request("GET", "/config.json"))

    assert _json(response) == {
        "apiUrl": f"{ORIGIN}/api",
        "authEndpoint": f"{ORIGIN}/auth",
        "region": "eu-west-2",
        "userPoolId": cognito.pool_id,
        "clientId": cognito.client_id,
        "stage": "local",
    }


def test_given_the_portals_files_then_they_are_served_and_nothing_outside_the_folder_is(
    gateway: Gateway,
) -> None:
    index = gateway.handle(_request("GET", "/"))
    script = gateway.handle(_request("GET", "/app.js"))
    escaped = gateway.handle(_request("GET", "/../secret.txt"))
    encoded = gateway.handle(_request("GET", "/%2e%2e/secret.txt"))

    assert (index.status, index.body) == (200, b"<h1>Automation</h1>")
    assert script.headers["Content-Type"].startswith(("text/javascript", "application/javascript"))
    assert escaped.status == 404 and encoded.status == 404
    assert "frame-ancestors 'none'" in index.headers["Content-Security-Policy"]


def test_given_the_server_when_a_browser_posts_to_the_api_then_the_body_reaches_the_function(
    gateway: Gateway, cognito: Cognito, api: Api
) -> None:
    server = GatewayServer(0)
    server.gateway = gateway
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/jobs/sequences/runs",
        data=b'{"reason": "checking the fix"}',
        method="POST",
        headers={**_bearer(cognito.tokens("admin")["IdToken"]), "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            status, body = answer.status, answer.read()
    finally:
        server.shutdown()
        server.server_close()

    assert (status, body) == (200, b'{"jobs": []}')
    [event] = api.events
    assert (event["httpMethod"], event["path"]) == ("POST", "/jobs/sequences/runs")
    assert json.loads(event["body"]) == {"reason": "checking the fix"}
    assert event["headers"]["Content-Type"] == "application/json"
