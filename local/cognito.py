"""Makes moto's Cognito check sign-ins the way Cognito does, so the portal's sign-in is tested for real.

moto walks USER_SRP_AUTH but checks nothing: its SRP_B and SALT are random text and any signature is
accepted, so any password would sign in. Here the server side of SRP-6a (Cognito's variant) answers the
challenge and verifies PASSWORD_CLAIM_SIGNATURE against the password moto stores. Cognito also emails
invitations (with a temporary password) and password-reset codes; moto sends nothing, so those messages
go to the console, where an operator at `make dev` reads them as they would read their mail. TOTP codes are
checked too (moto only does when asked; its secret is one fixed value for every user).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.cognitoidp.exceptions import NotAuthorizedError
from moto.cognitoidp.models import CognitoIdpBackend, UserStatus

# RFC 5054's 3072-bit group, which Cognito uses with g = 2.
N_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C"
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF"
)
N = int(N_HEX, 16)
G = 2
INFO = b"Caldera Derived Key"
TOTP_SETTING = "MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP"


def pad_hex(value: int | str) -> str:
    """Hex of a positive number as Cognito hashes it: even length, and never read as negative."""
    text = value if isinstance(value, str) else format(value, "x")
    if len(text) % 2:
        return "0" + text
    return "00" + text if text[0] in "89abcdefABCDEF" else text


def _hash_hex(hex_text: str) -> int:
    return int(hashlib.sha256(bytes.fromhex(hex_text)).hexdigest(), 16)


K = _hash_hex(pad_hex(N) + pad_hex(G))


def password_verifier(pool_name: str, user_id: str, password: str, salt_hex: str) -> int:
    """v = g^x, x = H(salt | H(pool name | user id | ":" | password))."""
    inner = hashlib.sha256(f"{pool_name}{user_id}:{password}".encode()).hexdigest()
    return pow(G, _hash_hex(pad_hex(salt_hex) + inner), N)


def claim_signature(key: bytes, pool_name: str, user_id: str, secret_block: str, timestamp: str) -> str:
    message = pool_name.encode() + user_id.encode() + base64.b64decode(secret_block) + timestamp.encode()
    return base64.b64encode(hmac.new(key, message, hashlib.sha256).digest()).decode()


def session_key(shared_secret: int, scrambler: int) -> bytes:
    """HKDF-SHA256 (RFC 5869), one block cut to 16 bytes, as Cognito derives the signing key."""
    prk = hmac.new(bytes.fromhex(pad_hex(scrambler)), bytes.fromhex(pad_hex(shared_secret)), "sha256")
    return hmac.new(prk.digest(), INFO + b"\x01", hashlib.sha256).digest()[:16]


@dataclass(frozen=True)
class _Challenge:
    pool_name: str
    user_id: str
    verifier: int
    big_a: int
    small_b: int
    big_b: int


class SrpServer:
    """The server half of one USER_SRP_AUTH sign-in: issue the challenge, then check the claim."""

    def __init__(self) -> None:
        self._pending: dict[str, _Challenge] = {}
        self._lock = threading.Lock()

    def challenge(
        self, session: str, pool_id: str, user_id: str, password: str, srp_a: str
    ) -> dict[str, str]:
        big_a = int(srp_a, 16)
        if big_a % N == 0:
            raise NotAuthorizedError("Incorrect username or password.")
        pool_name = pool_id.split("_", 1)[1]
        salt = secrets.token_hex(16)
        verifier = password_verifier(pool_name, user_id, password, salt)
        small_b = secrets.randbelow(N - 2) + 1
        big_b = (K * verifier + pow(G, small_b, N)) % N
        with self._lock:
            self._pending[session] = _Challenge(pool_name, user_id, verifier, big_a, small_b, big_b)
        return {
            "SALT": salt,
            "SRP_B": format(big_b, "x"),
            "USER_ID_FOR_SRP": user_id,
            # Cognito's secret block is opaque base64; moto's session id stands in for it.
            "SECRET_BLOCK": base64.b64encode(session.encode()).decode(),
        }

    def check(self, responses: dict[str, str]) -> str:
        """The moto session the claim belongs to, if its signature proves the password; else refused."""
        block = responses.get("PASSWORD_CLAIM_SECRET_BLOCK", "")
        try:
            session = base64.b64decode(block, validate=True).decode()
        except ValueError:
            raise NotAuthorizedError("Incorrect username or password.") from None
        with self._lock:
            pending = self._pending.pop(session, None)
        if pending is None:
            raise NotAuthorizedError("Incorrect username or password.")
        scrambler = _hash_hex(pad_hex(pending.big_a) + pad_hex(pending.big_b))
        shared = pow(pending.big_a * pow(pending.verifier, scrambler, N), pending.small_b, N)
        expected = claim_signature(
            session_key(shared, scrambler),
            pending.pool_name,
            pending.user_id,
            block,
            responses.get("TIMESTAMP", ""),
        )
        if scrambler == 0 or not hmac.compare_digest(expected, responses.get("PASSWORD_CLAIM_SIGNATURE", "")):
            raise NotAuthorizedError("Incorrect username or password.")
        return session


def invitation_text(username: str, password: str, portal_url: str) -> str:
    return (
        f"Sign in at {portal_url} with the username {username} and the temporary password {password} "
        "within 3 days. You will choose your own password, then add the account to an authenticator app."
    )


def emulate_cognito(notify: Callable[[str], None], portal_url: str) -> Callable[[], None]:
    """Patches moto's Cognito backend for the local runtime; returns the undo."""
    server = SrpServer()
    originals = {
        name: getattr(CognitoIdpBackend, name)
        for name in ("initiate_auth", "respond_to_auth_challenge", "admin_create_user", "forgot_password")
    }

    def initiate_auth(
        backend: CognitoIdpBackend, client_id: str, auth_flow: str, auth_parameters: dict[str, str]
    ) -> Any:
        answer = originals["initiate_auth"](backend, client_id, auth_flow, auth_parameters)
        if answer.get("ChallengeName") != "PASSWORD_VERIFIER":
            return answer
        pool = next(pool for pool in backend.user_pools.values() if client_id in pool.clients)
        user = backend.admin_get_user(pool.id, auth_parameters["USERNAME"])
        answer["ChallengeParameters"].update(
            server.challenge(
                answer["Session"], pool.id, user.username, user.password or "", auth_parameters["SRP_A"]
            )
        )
        return answer

    def respond_to_auth_challenge(
        backend: CognitoIdpBackend,
        session: str,
        client_id: str,
        challenge_name: str,
        challenge_responses: dict[str, str],
    ) -> Any:
        if challenge_name == "PASSWORD_VERIFIER":
            # moto finds its session under this name.
            challenge_responses = {
                **challenge_responses,
                "PASSWORD_CLAIM_SECRET_BLOCK": server.check(challenge_responses),
            }
        return originals["respond_to_auth_challenge"](
            backend, session, client_id, challenge_name, challenge_responses
        )

    def admin_create_user(
        backend: CognitoIdpBackend,
        user_pool_id: str,
        username: str,
        message_action: str,
        temporary_password: str,
        attributes: list[dict[str, str]],
    ) -> Any:
        password = temporary_password or _temporary_password()
        user = originals["admin_create_user"](
            backend, user_pool_id, username, message_action, password, attributes
        )
        if message_action != "SUPPRESS":
            email = user.attribute_lookup.get("email", "(no email address)")
            notify(f"[cognito] invitation to {email}: {invitation_text(user.username, password, portal_url)}")
        return user

    def forgot_password(backend: CognitoIdpBackend, client_id: str, username: str) -> Any:
        pool = next((pool for pool in backend.user_pools.values() if client_id in pool.clients), None)
        user = pool._get_user(username) if pool else None
        if user is not None and user.status == UserStatus.FORCE_CHANGE_PASSWORD:
            # As Cognito: an invited user's way in is the temporary password, not a reset.
            raise NotAuthorizedError("User password cannot be reset in the current state.")
        code, details = originals["forgot_password"](backend, client_id, username)
        if code:
            notify(f"[cognito] password reset code for {username}: {code}")
        return code, details

    patches = {
        "initiate_auth": initiate_auth,
        "respond_to_auth_challenge": respond_to_auth_challenge,
        "admin_create_user": admin_create_user,
        "forgot_password": forgot_password,
    }
    for name, patch in patches.items():
        setattr(CognitoIdpBackend, name, patch)
    previous_totp = os.environ.get(TOTP_SETTING)
    os.environ[TOTP_SETTING] = "true"

    def undo() -> None:
        for name, original in originals.items():
            setattr(CognitoIdpBackend, name, original)
        if previous_totp is None:
            os.environ.pop(TOTP_SETTING, None)
        else:
            os.environ[TOTP_SETTING] = previous_totp

    return undo


def _temporary_password() -> str:
    # Cognito's temporary passwords satisfy the pool's policy; this one satisfies any default policy.
    return f"Tmp-{secrets.token_urlsafe(9)}-9a!"
