// The Automation area of the DevSphere OS admin portal: sign-in, routing, and the shared context views use.
import { FORBIDDEN_MESSAGE, api, authEvents, currentUser, getConfig, loadConfig, signOut } from "./api.js";
import { createDialogs } from "./dialogs.js";
import { h, replace } from "./dom.js";
import { errorPanel } from "./live.js";
import { renderLogs } from "./logs.js";
import { renderRun } from "./run-detail.js";
import { renderSignIn } from "./signin.js";
import { renderJob, renderStatus } from "./status.js";

const main = document.getElementById("main");
let view = null;
let jobs = [];

const ctx = {
  api,
  rememberJobs(list) {
    jobs = list;
  },
  knownJobs: () => jobs,
  jobTitles: () => Object.fromEntries(jobs.map((job) => [job.job, job.title || job.job])),
  async ensureJobs() {
    if (!jobs.length) {
      try {
        jobs = (await api("/jobs")).jobs;
      } catch {
        // Titles are a nicety: the logs still work with bare job names.
      }
    }
    return jobs;
  },
  // 401 is handled once, by the session-expired listener; 403 replaces the page, whatever asked.
  handleError(error, otherwise) {
    if (error.status === 401) return;
    if (error.status === 403) {
      showForbidden();
      return;
    }
    otherwise();
  },
  changed() {
    if (view && view.refresh) view.refresh();
  },
};
const dialogs = createDialogs(ctx);
ctx.actions = { runNow: dialogs.runNow, pause: dialogs.pause, resume: dialogs.resume };

function stopView() {
  if (view) view.stop();
  view = null;
}

function showChrome(signedIn) {
  const user = currentUser();
  document.getElementById("nav").hidden = !signedIn;
  document.getElementById("account").hidden = !signedIn;
  document.getElementById("account-name").textContent = signedIn && user ? user.username : "";
}

function setNav(section) {
  for (const link of document.querySelectorAll("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

function showSignIn(notice) {
  stopView();
  dialogs.close();
  showChrome(false);
  document.title = "Sign in · Automation · DevSphere OS";
  renderSignIn(main, { notice, stage: (getConfig() || {}).stage, onSignedIn: route });
}

function showForbidden() {
  stopView();
  dialogs.close();
  const user = currentUser();
  document.getElementById("nav").hidden = true;
  document.title = "No access · Automation · DevSphere OS";
  replace(
    main,
    h(
      "section",
      { class: "panel panel-warn forbidden", testid: "forbidden", role: "alert" },
      h("h1", null, "No access to Automation"),
      h("p", { class: "forbidden-message" }, FORBIDDEN_MESSAGE),
      h(
        "p",
        { class: "muted" },
        user ? `You are signed in as ${user.username}. ` : "",
        "Status, logs and run-now are for the admin and ceo groups. Ask an administrator for access, or sign in with another account.",
      ),
      h("button", { type: "button", class: "button", onclick: () => doSignOut() }, "Sign in as someone else"),
    ),
  );
}

function doSignOut() {
  signOut();
  jobs = [];
  showSignIn("You are signed out.");
}

function notFound(text) {
  replace(
    main,
    h(
      "section",
      { class: "panel" },
      h("h1", null, "Not found"),
      h("p", null, text, " "),
      h("a", { href: "#/" }, "Back to status"),
    ),
  );
}

function route() {
  if (!currentUser()) {
    showSignIn();
    return;
  }
  stopView();
  showChrome(true);
  const [path, query = ""] = window.location.hash.replace(/^#/, "").split("?");
  let parts;
  try {
    parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = ["?"];
  }
  setNav(parts[0] === "runs" ? "runs" : "status");
  if (parts.length === 0) view = renderStatus(main, ctx);
  else if (parts[0] === "jobs" && parts.length === 2) view = renderJob(main, ctx, parts[1]);
  else if (parts[0] === "runs" && parts.length === 1)
    view = renderLogs(main, ctx, new URLSearchParams(query));
  else if (parts[0] === "runs" && parts.length === 2) view = renderRun(main, ctx, parts[1]);
  else notFound("There is no page at this address.");
}

// The router owns the hash: following "#main" would route to a page that does not exist.
function skipToContent(event) {
  event.preventDefault();
  main.focus();
  main.scrollIntoView();
}

async function boot() {
  document.querySelector(".skip-link").addEventListener("click", skipToContent);
  document.getElementById("signout").addEventListener("click", doSignOut);
  authEvents.addEventListener("expired", () => showSignIn("Your session has ended. Sign in again."));
  try {
    await loadConfig();
  } catch (error) {
    replace(main, errorPanel(error));
    return;
  }
  window.addEventListener("hashchange", () => {
    route();
    window.scrollTo(0, 0);
  });
  route();
}

boot();
