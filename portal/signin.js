// The sign-in card and each step Cognito may ask for: password, a new password, authenticator enrolment,
// an authenticator code, and a forgotten password. One card, its content replaced step by step.
import {
  SignInError,
  answerTotp,
  finishTotpSetup,
  requestPasswordReset,
  resetPassword,
  setNewPassword,
  signIn,
  startTotpSetup,
} from "./auth.js";
import { h, replace } from "./dom.js";
import { qrSvg } from "./qr.js";

const PASSWORD_RULE = "At least 14 characters, with upper and lower case letters, a digit and a symbol.";

function input(id, attrs) {
  return h("input", { id, name: id, required: true, testid: id, ...attrs });
}

function field(label, control, hint) {
  return h(
    "div",
    { class: "field field-block" },
    h("label", { class: "field-label", for: control.id }, label),
    control,
    hint ? h("p", { class: "field-hint", id: `${control.id}-hint` }, hint) : null,
  );
}

function codeInput(id) {
  return input(id, {
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: "6",
    spellcheck: "false",
  });
}

function newPasswordInputs(prefix) {
  const first = input(`${prefix}-new-password`, {
    type: "password",
    autocomplete: "new-password",
    minlength: "14",
    "aria-describedby": `${prefix}-new-password-hint`,
  });
  const second = input(`${prefix}-new-password-confirm`, { type: "password", autocomplete: "new-password" });
  return { first, second, fields: [field("New password", first, PASSWORD_RULE), field("Repeat it", second)] };
}

// Groups of four, as authenticator apps show secrets; spaces are ignored when typed in.
function groupSecret(secret) {
  return secret.replace(/(.{4})/g, "$1 ").trim();
}

export function renderSignIn(container, { notice, stage, onSignedIn }) {
  const card = h("section", { class: "signin card", "aria-labelledby": "signin-title" });
  replace(container, card);

  // Each step: a title, a line of help, the form's fields and its button; `run` does the work on submit.
  function show({ title, help, fields, button, buttonTestid, run, after, focus, message }) {
    const submit = h(
      "button",
      { type: "submit", class: "button button-primary button-wide", testid: buttonTestid },
      button,
    );
    const alert = h("div", { role: "alert", class: "signin-message", testid: "signin-error" });
    if (message) replace(alert, h("p", { class: "notice notice-info" }, message));
    const form = h("form", { class: "signin-form" }, ...fields, alert, submit);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      submit.disabled = true;
      const label = submit.textContent;
      submit.textContent = "Please wait…";
      try {
        await run();
      } catch (error) {
        const text = error instanceof SignInError ? error.message : `Sign-in failed: ${error.message}`;
        replace(alert, h("p", { class: "panel panel-error small" }, text));
        submit.disabled = false;
        submit.textContent = label;
        if (error.code === "SessionExpired") passwordStep("Start again: your sign-in took too long.");
      }
    });
    replace(
      card,
      h("h1", { id: "signin-title" }, title),
      ...[help].flat().map((line) => (line ? h("p", { class: "muted" }, line) : null)),
      form,
      after || null,
      stage ? h("p", { class: "muted small signin-stage" }, `Environment: ${stage}`) : null,
    );
    focus.focus();
  }

  async function proceed(step) {
    if (step.step === "done") onSignedIn();
    else if (step.step === "new-password") newPasswordStep(step);
    else if (step.step === "mfa-setup") await totpSetupStep(step);
    else if (step.step === "mfa-code") totpCodeStep(step);
  }

  function passwordStep(message, knownUsername = "") {
    const username = input("signin-username", {
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: "false",
      value: knownUsername || null,
    });
    const password = input("signin-password", { type: "password", autocomplete: "current-password" });
    const forgot = h(
      "p",
      { class: "signin-stage" },
      h(
        "button",
        {
          type: "button",
          class: "link-button",
          testid: "signin-forgot",
          onclick: () => forgotStep(username.value.trim()),
        },
        "Forgot your password?",
      ),
    );
    show({
      title: "Sign in to Automation",
      help: "Status, logs and run-now for the background automations. For admins and the CEO.",
      fields: [field("Username", username), field("Password", password)],
      button: "Sign in",
      buttonTestid: "signin-submit",
      message,
      after: forgot,
      focus: knownUsername ? password : username,
      run: async () => {
        try {
          await proceed(await signIn(username.value.trim(), password.value));
        } catch (error) {
          password.select();
          throw error;
        }
      },
    });
  }

  function newPasswordStep(step) {
    const inputs = newPasswordInputs("signin");
    show({
      title: "Choose your password",
      help: "You signed in with a temporary password. Choose the one you will use from now on.",
      fields: inputs.fields,
      button: "Set password",
      buttonTestid: "signin-new-password-submit",
      focus: inputs.first,
      run: async () => {
        if (inputs.first.value !== inputs.second.value) throw new SignInError("The two passwords differ.");
        await proceed(await setNewPassword(step, inputs.first.value));
      },
    });
  }

  async function totpSetupStep(step) {
    const setup = await startTotpSetup(step);
    const code = codeInput("mfa-setup-code");
    const qr = qrSvg(setup.uri, { label: "QR code of the setup link: scan it with your authenticator app" });
    if (qr) qr.dataset.testid = "mfa-qr";
    const secret = h(
      "div",
      { class: "field field-block" },
      qr ? h("span", { class: "field-label" }, "Scan this with the app") : null,
      qr ? h("div", { class: "signin-qr" }, qr) : null,
      h("span", { class: "field-label" }, qr ? "Or type this key" : "Key"),
      h(
        "code",
        { class: "mono wrap", testid: "mfa-secret", "data-secret": setup.secret },
        groupSecret(setup.secret),
      ),
      h("span", { class: "field-label" }, "Or the setup link, for apps that take one"),
      h("code", { class: "mono wrap small", testid: "mfa-uri" }, setup.uri),
    );
    show({
      title: "Set up your authenticator app",
      help: [
        "This account needs a code from an authenticator app (such as Google Authenticator, Microsoft " +
          "Authenticator or 1Password) at every sign-in.",
        "Add an account in the app with the QR code or the key below (time-based), then enter the 6-digit " +
          "code it shows.",
      ],
      fields: [secret, field("Code from the app", code)],
      button: "Verify and sign in",
      buttonTestid: "mfa-setup-submit",
      focus: code,
      run: async () => proceed(await finishTotpSetup(setup, code.value.trim())),
    });
  }

  function totpCodeStep(step) {
    const code = codeInput("mfa-code");
    show({
      title: "Enter your code",
      help: `Open your authenticator app and enter the 6-digit code for ${step.username}.`,
      fields: [field("Code", code)],
      button: "Sign in",
      buttonTestid: "mfa-submit",
      focus: code,
      run: async () => proceed(await answerTotp(step, code.value.trim())),
    });
  }

  function forgotStep(knownUsername) {
    const username = input("forgot-username", {
      autocomplete: "username",
      autocapitalize: "none",
      spellcheck: "false",
      value: knownUsername || null,
    });
    show({
      title: "Reset your password",
      help: "We will email a code to the address on your account.",
      fields: [field("Username", username)],
      button: "Email me a code",
      buttonTestid: "forgot-submit",
      after: backToSignIn(),
      focus: username,
      run: async () => {
        const name = username.value.trim();
        const destination = await requestPasswordReset(name);
        resetStep(name, destination);
      },
    });
  }

  function resetStep(username, destination) {
    const code = input("forgot-code", {
      inputmode: "numeric",
      autocomplete: "one-time-code",
      spellcheck: "false",
    });
    const inputs = newPasswordInputs("forgot");
    show({
      title: "Choose a new password",
      help:
        `If there is an account named ${username}, a code is on its way to ` +
        `${destination || "its email address"}.`,
      fields: [field("Code from the email", code), ...inputs.fields],
      button: "Set password",
      buttonTestid: "forgot-confirm-submit",
      after: backToSignIn(),
      focus: code,
      run: async () => {
        if (inputs.first.value !== inputs.second.value) throw new SignInError("The two passwords differ.");
        await resetPassword(username, code.value.trim(), inputs.first.value);
        passwordStep("Your password is changed. Sign in with it.", username);
      },
    });
  }

  function backToSignIn() {
    return h(
      "p",
      { class: "signin-stage" },
      h(
        "button",
        { type: "button", class: "link-button", testid: "signin-back", onclick: () => passwordStep() },
        "Back to sign in",
      ),
    );
  }

  passwordStep(notice);
}
