// Runtime config, the signed-in session and the automation API. The same page runs locally and in AWS:
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
  for (const key of ["apiUrl", "authEndpoint", "clientId", "userPoolId"]) {
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

// Only the ID token is kept: the API needs nothing else, and a refresh token in page storage would outlive
// the tab's session.
export function storeSession(authenticationResult) {
  const token = authenticationResult && authenticationResult.IdToken;
  if (!token) throw new Error("The sign-in service answered without a token.");
  sessionStorage.setItem(TOKEN_KEY, token);
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
