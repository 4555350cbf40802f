"""Signing in as a real user would, in Chromium, against the local runtime configured like the deployed pool
(`python -m local --require-mfa`): invited by an operator with `admin-create-user`, first sign-in with the
emailed temporary password, authenticator enrolment, codes at every sign-in, and a forgotten password.

The runtime prints what Cognito would email (invitations, reset codes); the tests read them there, as an
operator at `make dev` does. TOTP codes are computed here (RFC 6238) from the key the page shows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import threading
import time
from collections.abc import Iterator

import pytest

from tests.e2e import test_portal as shared
from tests.e2e.test_portal import _new_page, _screenshot
from tests.support.local_runtime import LocalRuntime, start_local_runtime

# The browser of `test_portal`, shared by name (module scope: one browser per module).
browser = shared.browser
page = shared.page

pytestmark = pytest.mark.e2e

INVITATION = re.compile(
    r"\[cognito\] invitation to \S+: .* username (?P<user>\S+) and the temporary password (?P<pw>\S+) "
)
RESET_CODE = re.compile(r"\[cognito\] password reset code for (?P<user>\S+): (?P<code>\S+)$")
NEW_PASSWORD = "Fresh-Password-2026!"


@pytest.fixture(scope="module")
def runtime() -> Iterator[LocalRuntime]:
    with start_local_runtime("--require-mfa", "--no-demo-data") as started:
        assert started.moto_url, started.output
        yield started


def _printed(runtime: LocalRuntime, pattern: re.Pattern[str], user: str) -> re.Match[str]:
    """What the runtime printed last for this user (emails arrive while the test waits)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [m for line in runtime.lines() if (m := pattern.search(line)) and m["user"] == user]
        if found:
            return found[-1]
        threading.Event().wait(0.1)
    raise AssertionError(f"nothing printed for {user}:\n" + runtime.tail(20))


def totp(secret: str, at: float) -> str:
    """RFC 6238 with Cognito's parameters: SHA-1, 30-second steps, 6 digits; the key is base32."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{number % 1_000_000:06d}"


def _wrong_code(secret: str) -> str:
    now = time.time()
    valid = {totp(secret, now + drift) for drift in (-30, 0, 30)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in valid)


def _invite(runtime: LocalRuntime, username: str, group: str = "admin") -> str:
    """The README's two commands for a new user; returns the temporary password from the invitation."""
    cognito = runtime.aws("cognito-idp")
    (pool,) = cognito.list_user_pools(MaxResults=10)["UserPools"]
    cognito.admin_create_user(
        UserPoolId=pool["Id"],
        Username=username,
        UserAttributes=[{"Name": "email", "Value": f"{username}@devsphere.example"}],
    )
    cognito.admin_add_user_to_group(UserPoolId=pool["Id"], Username=username, GroupName=group)
    return _printed(runtime, INVITATION, username)["pw"]


def _password_step(page, runtime: LocalRuntime, username: str, password: str) -> None:
    page.goto(runtime.url)
    page.get_by_test_id("signin-username").fill(username)
    page.get_by_test_id("signin-password").fill(password)
    page.get_by_test_id("signin-submit").click()


def _enter_code(page, secret: str, field_id: str, button: str) -> None:
    """Types the current code; types the next one if the 30-second step ended before Cognito checked it."""
    from playwright.sync_api import expect

    for _ in range(2):
        issued = time.time()
        page.get_by_test_id(field_id).fill(totp(secret, issued))
        page.get_by_test_id(button).click()
        refused = page.get_by_test_id("signin-error").locator(".panel-error")
        settled = page.get_by_test_id("summary").or_(refused)
        expect(settled).to_be_visible()
        if page.get_by_test_id("summary").count() or int(time.time()) // 30 == int(issued) // 30:
            return


def _enrol(page) -> str:
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    secret = page.get_by_test_id("mfa-secret").get_attribute("data-secret")
    assert secret
    _enter_code(page, secret, "mfa-setup-code", "mfa-setup-submit")
    return secret


def test_given_an_invited_admin_when_signing_in_first_then_they_choose_a_password_and_enrol_an_authenticator(
    page, runtime
):
    from playwright.sync_api import expect

    temporary = _invite(runtime, "alice")

    _password_step(page, runtime, "alice", temporary)
    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    page.get_by_test_id("signin-new-password").fill(NEW_PASSWORD)
    page.get_by_test_id("signin-new-password-confirm").fill(NEW_PASSWORD + "x")
    page.get_by_test_id("signin-new-password-submit").click()
    expect(page.get_by_test_id("signin-error")).to_contain_text("The two passwords differ.")
    page.get_by_test_id("signin-new-password-confirm").fill(NEW_PASSWORD)
    page.get_by_test_id("signin-new-password-submit").click()

    expect(page.get_by_role("heading", name="Set up your authenticator app")).to_be_visible()
    secret = page.get_by_test_id("mfa-secret").get_attribute("data-secret")
    assert secret
    expect(page.get_by_test_id("mfa-qr")).to_be_visible()
    uri = page.get_by_test_id("mfa-uri").inner_text()
    assert uri.startswith("otpauth://totp/DevSphere%20Automation%3Aalice?") and f"secret={secret}" in uri
    _screenshot(page, "1280-signin-mfa-setup", full_page=False)
    page.get_by_test_id("mfa-setup-code").fill(_wrong_code(secret))
    page.get_by_test_id("mfa-setup-submit").click()
    expect(page.get_by_test_id("signin-error")).to_contain_text("That code is not right")
    _enter_code(page, secret, "mfa-setup-code", "mfa-setup-submit")

    expect(page.get_by_test_id("summary")).to_be_visible()
    expect(page.get_by_test_id("account-name")).to_have_text("alice")


def test_given_an_enrolled_admin_when_signing_in_then_the_password_and_a_code_are_both_needed(page, runtime):
    from playwright.sync_api import expect

    temporary = _invite(runtime, "bob")
    _password_step(page, runtime, "bob", temporary)
    page.get_by_test_id("signin-new-password").fill(NEW_PASSWORD)
    page.get_by_test_id("signin-new-password-confirm").fill(NEW_PASSWORD)
    page.get_by_test_id("signin-new-password-submit").click()
    secret = _enrol(page)
    expect(page.get_by_test_id("summary")).to_be_visible()
    page.get_by_test_id("signout").click()

    _password_step(page, runtime, "bob", temporary)
    expect(page.get_by_test_id("signin-error")).to_contain_text("Incorrect username or password.")
    page.get_by_test_id("signin-password").fill(NEW_PASSWORD)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    page.get_by_test_id("mfa-code").fill(_wrong_code(secret))
    page.get_by_test_id("mfa-submit").click()
    expect(page.get_by_test_id("signin-error")).to_contain_text("That code is not right")
    _screenshot(page, "1280-signin-mfa-code", full_page=False)
    _enter_code(page, secret, "mfa-code", "mfa-submit")

    expect(page.get_by_test_id("summary")).to_be_visible()
    expect(page.get_by_test_id("account-name")).to_have_text("bob")


def test_given_a_forgotten_password_when_reset_with_the_emailed_code_then_only_the_new_password_works(
    page, runtime
):
    from playwright.sync_api import expect

    _invite(runtime, "carol")
    replacement = "Another-Password-77?"
    page.goto(runtime.url)
    page.get_by_test_id("signin-username").fill("carol")
    page.get_by_test_id("signin-forgot").click()
    expect(page.get_by_test_id("forgot-username")).to_have_value("carol")
    page.get_by_test_id("forgot-submit").click()
    # Until the first sign-in, the temporary password is the way in, as in Cognito.
    expect(page.get_by_test_id("signin-error")).to_contain_text("cannot reset its password yet")
    cognito = runtime.aws("cognito-idp")
    (pool,) = cognito.list_user_pools(MaxResults=10)["UserPools"]
    cognito.admin_set_user_password(
        UserPoolId=pool["Id"], Username="carol", Password=NEW_PASSWORD, Permanent=True
    )

    page.get_by_test_id("forgot-submit").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_text("c***@d***")).to_be_visible()
    code = _printed(runtime, RESET_CODE, "carol")["code"]
    page.get_by_test_id("forgot-code").fill(code[:-1] + ("0" if code[-1] != "0" else "1"))
    page.get_by_test_id("forgot-new-password").fill(replacement)
    page.get_by_test_id("forgot-new-password-confirm").fill(replacement)
    page.get_by_test_id("forgot-confirm-submit").click()
    expect(page.get_by_test_id("signin-error")).to_contain_text("expired or was already used")
    page.get_by_test_id("forgot-code").fill(code)
    page.get_by_test_id("forgot-confirm-submit").click()

    expect(page.get_by_test_id("signin-error")).to_contain_text("Your password is changed")
    expect(page.get_by_test_id("signin-username")).to_have_value("carol")
    page.get_by_test_id("signin-password").fill(NEW_PASSWORD)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("signin-error")).to_contain_text("Incorrect username or password.")
    page.get_by_test_id("signin-password").fill(replacement)
    page.get_by_test_id("signin-submit").click()
    # The password is accepted; the pool then asks for what it still lacks, an authenticator.
    _enrol(page)
    expect(page.get_by_test_id("summary")).to_be_visible()


def test_given_the_sign_in_page_when_it_signs_in_then_no_password_is_sent_anywhere(page, runtime):
    from playwright.sync_api import expect

    temporary = _invite(runtime, "dave")
    bodies: list[str] = []
    page.on("request", lambda request: bodies.append(request.post_data or ""))

    _password_step(page, runtime, "dave", temporary)

    expect(page.get_by_role("heading", name="Choose your password")).to_be_visible()
    assert any("USER_SRP_AUTH" in body for body in bodies)
    assert not any(temporary in body for body in bodies)


def test_given_a_phone_width_screen_when_enrolling_an_authenticator_then_nothing_scrolls_sideways(
    browser, runtime
):
    from playwright.sync_api import expect

    context, phone, errors = _new_page(browser, 390, 844)
    try:
        temporary = _invite(runtime, "erin")
        _password_step(phone, runtime, "erin", temporary)
        phone.get_by_test_id("signin-new-password").fill(NEW_PASSWORD)
        phone.get_by_test_id("signin-new-password-confirm").fill(NEW_PASSWORD)
        phone.get_by_test_id("signin-new-password-submit").click()

        expect(phone.get_by_test_id("mfa-uri")).to_be_visible()
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        _screenshot(phone, "390-signin-mfa-setup")
    finally:
        context.close()
    assert errors == [], f"script errors on the page: {errors}"
