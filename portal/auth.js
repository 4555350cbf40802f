// Cognito sign-in, straight from the browser to the user pool: SRP (the password never leaves the page),
// a new password at first sign-in, TOTP enrolment and codes, and a forgotten password reset by email.
// Every step returns the next one the pool asks for, until the session is stored.
import { getConfig, storeSession } from "./api.js";
import { passwordClaim, startSrp } from "./srp.js";

export const ISSUER = "DevSphere Automation";

export class SignInError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

const MESSAGES = {
  NotAuthorizedException: "Incorrect username or password.",
  UserNotFoundException: "Incorrect username or password.",
  UserNotConfirmedException: "This account is not confirmed yet. Ask an administrator to confirm it.",
  PasswordResetRequiredException:
    "An administrator has reset this password. Use “Forgot your password?” to choose a new one.",
  TooManyRequestsException: "Too many attempts. Wait a minute and try again.",
  LimitExceededException: "Too many attempts. Wait a few minutes and try again.",
  TooManyFailedAttemptsException: "Too many attempts. Wait a few minutes and try again.",
  CodeMismatchException: "That code is not right. Check it and try again.",
  EnableSoftwareTokenMFAException:
    "That code is not right. Use the newest code, and check that your phone's clock is right.",
  ExpiredCodeException: "That code has expired or was already used. Ask for a new one.",
  InvalidPasswordException:
    "That password is not allowed: use at least 14 characters with upper and lower case letters, " +
    "a digit and a symbol.",
};

async function call(action, body) {
  const config = getConfig();
  let response;
  try {
    response = await fetch(config.authEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": `AWSCognitoIdentityProviderService.${action}`,
      },
      body: JSON.stringify(body),
    });
  } catch {
    throw new SignInError("The sign-in service could not be reached. Check your connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (response.ok) return data;
  const type = String(data.__type || data.code || "")
    .split("#")
    .pop();
  // A challenge's session lasts minutes; past that Cognito refuses it with this message.
  if (type === "NotAuthorizedException" && /session/i.test(data.message || "")) {
    throw new SignInError("This sign-in took too long. Start again.", "SessionExpired");
  }
  throw new SignInError(
    MESSAGES[type] || data.message || `The sign-in service answered HTTP ${response.status}.`,
    type,
  );
}

function clientId() {
  return getConfig().clientId;
}

// Turns Cognito's answer into the next step, or stores the session when it is the last one.
function next(answer, username) {
  if (answer.AuthenticationResult) {
    storeSession(answer.AuthenticationResult);
    return { step: "done", accessToken: answer.AuthenticationResult.AccessToken };
  }
  const params = answer.ChallengeParameters || {};
  const step = { session: answer.Session, username: params.USERNAME || username };
  switch (answer.ChallengeName) {
    case "NEW_PASSWORD_REQUIRED":
      return { ...step, step: "new-password" };
    case "MFA_SETUP":
      return { ...step, step: "mfa-setup" };
    case "SOFTWARE_TOKEN_MFA":
      return { ...step, step: "mfa-code" };
    default:
      throw new SignInError(
        `This account needs a sign-in step this page does not support (${answer.ChallengeName}).`,
      );
  }
}

async function respond(step, challenge, responses) {
  const answer = await call("RespondToAuthChallenge", {
    ClientId: clientId(),
    ChallengeName: challenge,
    Session: step.session,
    ChallengeResponses: { USERNAME: step.username, ...responses },
  });
  return next(answer, step.username);
}

export async function signIn(username, password) {
  const srp = await startSrp();
  const challenge = await call("InitiateAuth", {
    AuthFlow: "USER_SRP_AUTH",
    ClientId: clientId(),
    AuthParameters: { USERNAME: username, SRP_A: srp.srpA },
  });
  if (challenge.ChallengeName !== "PASSWORD_VERIFIER") return next(challenge, username);
  const claim = await passwordClaim(srp, {
    poolId: getConfig().userPoolId,
    password,
    params: challenge.ChallengeParameters,
  });
  const answer = await call("RespondToAuthChallenge", {
    ClientId: clientId(),
    ChallengeName: "PASSWORD_VERIFIER",
    Session: challenge.Session,
    ChallengeResponses: claim,
  });
  return next(answer, claim.USERNAME);
}

export function setNewPassword(step, newPassword) {
  return respond(step, "NEW_PASSWORD_REQUIRED", { NEW_PASSWORD: newPassword });
}

// The secret to add to an authenticator app, as text and as an otpauth:// URI (what a QR code holds).
export async function startTotpSetup(step) {
  const answer = await call("AssociateSoftwareToken", { Session: step.session });
  const label = encodeURIComponent(`${ISSUER}:${step.username}`);
  const uri = `otpauth://totp/${label}?secret=${answer.SecretCode}&issuer=${encodeURIComponent(ISSUER)}`;
  return { ...step, session: answer.Session, secret: answer.SecretCode, uri };
}

export async function finishTotpSetup(step, code) {
  const verified = await call("VerifySoftwareToken", {
    Session: step.session,
    UserCode: code,
    FriendlyDeviceName: ISSUER,
  });
  const result = await respond({ ...step, session: verified.Session }, "MFA_SETUP", {});
  if (result.step === "done") {
    // Cognito has already enabled the verified token; naming it preferred keeps it the challenge if SMS is
    // ever added. The user is signed in and enrolled either way, so a failure here is not theirs to fix.
    await call("SetUserMFAPreference", {
      AccessToken: result.accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    }).catch(() => null);
  }
  return result;
}

export function answerTotp(step, code) {
  return respond(step, "SOFTWARE_TOKEN_MFA", { SOFTWARE_TOKEN_MFA_CODE: code });
}

// Cognito emails a code to the account's verified address (and says nothing about unknown usernames).
export async function requestPasswordReset(username) {
  try {
    const answer = await call("ForgotPassword", { ClientId: clientId(), Username: username });
    return (answer.CodeDeliveryDetails || {}).Destination || null;
  } catch (error) {
    // Cognito refuses a reset to an invited user who has not signed in yet.
    if (error.code === "NotAuthorizedException") {
      throw new SignInError(
        "This account cannot reset its password yet: sign in with the temporary password from your " +
          "invitation, or ask an administrator to send a new invitation.",
        error.code,
      );
    }
    throw error;
  }
}

export async function resetPassword(username, code, newPassword) {
  await call("ConfirmForgotPassword", {
    ClientId: clientId(),
    Username: username,
    ConfirmationCode: code,
    Password: newPassword,
  });
}
