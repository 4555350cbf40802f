"""The portal's SRP (portal/srp.js, run by Node.js) against known answers from pycognito's independent client.

Each vector fixes the random parts (the client's `a`, the server's `b`, salt, secret block, timestamp), so
the browser's PASSWORD_CLAIM_SIGNATURE must equal pycognito's byte for byte.
"""

from __future__ import annotations

import base64
import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from pycognito.aws_srp import AWSSRP

from local.cognito import G, K, N, password_verifier

PORTAL = Path(__file__).resolve().parents[2] / "portal"
NODE = shutil.which("node")

# Timestamps with a one-digit day (Cognito does not pad it) and a two-digit one.
CASES = [
    ("eu-west-2_AbCdEf123", "admin", "Kdfe-abcd-12xyz!", "Sun Nov 9 07:05:03 UTC 2026"),
    ("eu-west-2_Zz9", "alice@devsphere.example", "pässwörd with spaces ✓", "Mon Dec 28 23:59:59 UTC 2026"),
    ("us-east-1_x", "6f1c2b9e-0000-4000-8000-000000000001", "A1!", "Tue Jan 1 00:00:00 UTC 2030"),
]

# pycognito (the independent SRP client compared with) still calls datetime.utcnow().
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:pycognito.*")


def _vector(seed: int, pool_id: str, user: str, password: str, timestamp: str) -> dict[str, str]:
    rng = random.Random(seed)
    salt = f"{rng.getrandbits(128):032x}"
    small_b = rng.getrandbits(1024) % N
    big_b = (K * password_verifier(pool_id.split("_")[1], user, password, salt) + pow(G, small_b, N)) % N
    secret_block = base64.b64encode(rng.randbytes(64)).decode()
    client = AWSSRP(username=user, password=password, pool_id=pool_id, client_id="c", client=object())
    client.small_a_value = rng.getrandbits(1024) % N
    client.large_a_value = client.calculate_a()
    client.get_cognito_formatted_timestamp = lambda _now: timestamp  # type: ignore[method-assign]
    params = {
        "USERNAME": user,
        "USER_ID_FOR_SRP": user,
        "SALT": salt,
        "SRP_B": format(big_b, "x"),
        "SECRET_BLOCK": secret_block,
    }
    expected = client.process_challenge(params, {"USERNAME": user})
    return {
        "poolId": pool_id,
        "password": password,
        "smallA": format(client.small_a_value, "x"),
        "srpA": format(client.large_a_value, "x"),
        "timestamp": timestamp,
        "params": params,  # type: ignore[dict-item]
        "signature": expected["PASSWORD_CLAIM_SIGNATURE"],
    }


_RUNNER = """
import { startSrp, passwordClaim, cognitoTimestamp } from "./srp.js";
const vectors = JSON.parse(process.argv[1]);
const out = [];
for (const v of vectors) {
  const session = await startSrp(BigInt("0x" + v.smallA));
  const claim = await passwordClaim(session, {
    poolId: v.poolId, password: v.password, params: v.params, timestamp: v.timestamp,
  });
  out.push({ srpA: session.srpA, signature: claim.PASSWORD_CLAIM_SIGNATURE, claim });
}
out.push(cognitoTimestamp(new Date(Date.UTC(2026, 10, 9, 7, 5, 3))));
console.log(JSON.stringify(out));
"""


def _run_portal_srp(vectors: list[dict[str, str]]) -> list:
    if NODE is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js is not installed: `make system-deps` installs it")
        pytest.skip("Node.js is not installed")
    result = subprocess.run(
        [NODE, "--input-type=module", "-e", _RUNNER, json.dumps(vectors)],
        cwd=PORTAL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: list = json.loads(result.stdout)
    return answer


def test_given_pycognitos_answers_when_the_portal_signs_the_same_challenge_then_the_proofs_match() -> None:
    vectors = [_vector(seed, *case) for seed, case in enumerate(CASES)]

    *claims, timestamp = _run_portal_srp(vectors)

    for vector, claim in zip(vectors, claims, strict=True):
        assert claim["srpA"] == vector["srpA"]
        assert claim["signature"] == vector["signature"]
        assert claim["claim"]["PASSWORD_CLAIM_SECRET_BLOCK"] == vector["params"]["SECRET_BLOCK"]  # type: ignore[index]
        assert claim["claim"]["TIMESTAMP"] == vector["timestamp"]
    assert timestamp == "Mon Nov 9 07:05:03 UTC 2026"


def test_given_a_wrong_password_when_the_portal_signs_then_the_proof_differs() -> None:
    vector = _vector(7, *CASES[0])
    wrong = {**vector, "password": CASES[0][2] + "x"}

    (claim, _timestamp) = _run_portal_srp([wrong])

    assert claim["srpA"] == vector["srpA"]
    assert claim["signature"] != vector["signature"]
