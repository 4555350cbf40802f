// Runtime config, Cognito sign-in and the automation API. The same page runs locally and in AWS:
// only config.json differs.

const TOKEN_KEY = "devsphere.automation.idToken";

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body || {};
  }
}

let config = null;

export async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json could not be loaded (HTTP ${response.status})`);
  config = await response.json();
  for (const key of ["apiUrl", "authEndpoint", "clientId"]) {
    if (!config[key]) throw new Error(`config.json has no "${key}"`);
  }
  return config;
}

export function getConfig() {
  return config;
}

function decodeClaims(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const bytes = Uint8Array.from(atob(payload), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch {
    return null;
  }
}

// The claims only label the page (name, expiry); the API verifies the token itself.
export function currentUser() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) return null;
  const claims = decodeClaims(token);
  if (!claims || (claims.exp && claims.exp * 1000 <= Date.now())) {
    sessionStorage.removeItem(TOKEN_KEY);
    return null;
  }
  return {
    token,
    username: claims["cognito:username"] || claims.email || claims.sub || "signed in",
    email: claims.email || null,
  };
}

export function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
}

const SIGN_IN_MESSAGES = {
  NotAuthorizedException: "Incorrect username or password.",
  UserNotFoundException: "Incorrect username or password.",
  UserNotConfirmedException: "This account is not confirmed yet. Ask an administrator to confirm it.",
  PasswordResetRequiredException: "This account must reset its password before signing in.",
  TooManyRequestsException: "Too many attempts. Wait a minute and try again.",
  LimitExceededException: "Too many attempts. Wait a minute and try again.",
};

export class SignInError extends Error {}

export async function signIn(username, password) {
  let response;
  try {
    response = await fetch(config.authEndpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: config.clientId,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
    });
  } catch {
    throw new SignInError("The sign-in service could not be reached. Check your connection and try again.");
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) {
    const type = String(body.__type || body.code || "")
      .split("#")
      .pop();
    throw new SignInError(
      SIGN_IN_MESSAGES[type] || body.message || `Sign-in failed (HTTP ${response.status}).`,
    );
  }
  if (body.ChallengeName === "NEW_PASSWORD_REQUIRED") {
    throw new SignInError(
      "This account has a temporary password and must choose a new one first. " +
        "Set it in the DevSphere OS sign-in page (or ask an administrator), then sign in here.",
    );
  }
  if (body.ChallengeName) {
    throw new SignInError(
      `This account needs a sign-in step this page does not support (${body.ChallengeName}).`,
    );
  }
  const token = body.AuthenticationResult && body.AuthenticationResult.IdToken;
  if (!token) throw new SignInError("The sign-in service answered without a token.");
  sessionStorage.setItem(TOKEN_KEY, token);
  return currentUser();
}

function apiUrl(path, query) {
  const base = config.apiUrl.replace(/\/+$/, "");
  const url = new URL(`${base}${path}`, window.location.href);
  for (const [key, value] of Object.entries(query || {})) {
    if (value != null && value !== "") url.searchParams.set(key, value);
  }
  return url;
}

// 401 means the session is gone: the app listens for this and shows the sign-in form.
export const authEvents = new EventTarget();

export async function api(path, { method = "GET", query, body, headers = {} } = {}) {
  const user = currentUser();
  if (!user) {
    authEvents.dispatchEvent(new Event("expired"));
    throw new ApiError(401, "UNAUTHENTICATED", "Your session has ended. Sign in again.");
  }
  let response;
  try {
    response = await fetch(apiUrl(path, query), {
      method,
      headers: {
        Authorization: `Bearer ${user.token}`,
        ...(body ? { "Content-Type": "application/json" } : {}),
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "NETWORK", "The automation API could not be reached.");
  }
  const data = await response.json().catch(() => ({}));
  if (response.ok) return data;
  const error = data.error || {};
  if (response.status === 401) {
    signOut();
    authEvents.dispatchEvent(new Event("expired"));
  }
  let message = error.message || `The API answered HTTP ${response.status}.`;
  if (response.status >= 500 && error.request_id) message += ` (request id ${error.request_id})`;
  throw new ApiError(response.status, error.code || `HTTP_${response.status}`, message, error);
}

export const FORBIDDEN_MESSAGE = "Your account is not an admin or CEO: you can't view automation status.";

export function newIdempotencyKey() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}
