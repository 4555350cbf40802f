// Data that refreshes itself and says how fresh it is, so a stale page never passes for a current one.
import { h } from "./dom.js";

function ago(ms) {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  const minutes = Math.round(seconds / 60);
  return minutes < 60 ? `${minutes} min ago` : `${Math.round(minutes / 60)} h ago`;
}

// What identifies a focused element across a re-render: its test id or id, else its href and text.
function focusKey(element) {
  if (!element || element === document.body || !element.tagName) return null;
  if (element.dataset && element.dataset.testid) return `[data-testid="${CSS.escape(element.dataset.testid)}"]`;
  if (element.id) return `#${CSS.escape(element.id)}`;
  const href = element.getAttribute("href");
  if (href) return { selector: `${element.tagName}[href="${CSS.escape(href)}"]`, text: element.textContent };
  return null;
}

function findAgain(key) {
  if (typeof key === "string") return document.querySelector(key);
  return [...document.querySelectorAll(key.selector)].find((el) => el.textContent === key.text) || null;
}

// Re-rendering replaces nodes; a keyboard user keeps their place instead of falling back to the page top.
function keepFocus(render) {
  const key = focusKey(document.activeElement);
  render();
  if (key) {
    const again = findAgain(key);
    if (again && again !== document.activeElement) again.focus({ preventScroll: true });
  }
}

export function liveData({ load, render, onError, every }) {
  let stopped = false;
  let busy = false;
  let loadedAt = null;
  let failure = null;
  const refreshButton = h(
    "button",
    { type: "button", class: "link-button", onclick: () => refresh(), testid: "refresh" },
    "Refresh now",
  );
  const text = h("span", { testid: "updated" }, "Loading…");
  const freshness = h(
    "p",
    { class: "freshness" },
    h("span", { class: "pulse", "aria-hidden": "true" }),
    text,
    refreshButton,
  );

  function showFreshness() {
    if (loadedAt === null) {
      text.textContent = failure ? `Could not load: ${failure.message}` : "Loading…";
    } else {
      const age = Date.now() - loadedAt;
      const every_s = Math.round(every / 1000);
      text.textContent = failure
        ? `Updated ${ago(age)} · last refresh failed: ${failure.message}`
        : `Updated ${ago(age)} · refreshes every ${every_s} s`;
      freshness.classList.toggle("stale", Boolean(failure) || age > 3 * every);
    }
    freshness.classList.toggle("failed", Boolean(failure));
  }

  function stop() {
    stopped = true;
    clearInterval(timer);
    clearInterval(ticker);
    document.removeEventListener("visibilitychange", onVisible);
  }

  async function refresh() {
    if (busy || stopped) return;
    busy = true;
    freshness.classList.add("busy");
    try {
      const data = await load();
      if (stopped) return;
      failure = null;
      loadedAt = Date.now();
      keepFocus(() => render(data));
    } catch (error) {
      if (stopped) return;
      failure = error;
      // A job or run that does not exist will not appear by asking again.
      if (error.status === 404) {
        stop();
        freshness.hidden = true;
      }
      if (onError) onError(error, loadedAt !== null);
    } finally {
      busy = false;
      freshness.classList.remove("busy");
      if (!stopped) showFreshness();
    }
  }

  const timer = setInterval(() => {
    if (!document.hidden) refresh();
  }, every);
  const ticker = setInterval(showFreshness, 1000);
  const onVisible = () => {
    if (!document.hidden && loadedAt !== null && Date.now() - loadedAt > every) refresh();
  };
  document.addEventListener("visibilitychange", onVisible);
  refresh();

  return {
    freshness,
    refresh,
    stop,
  };
}

// The API names fields by their query name; say which filter the reader should look at.
const FIELD_NAMES = { from: "From", to: "To", q: "Search", job: "Job", status: "Status", limit: "Page size" };

function fieldName(field) {
  const name = String(field || "").split(".").pop();
  return FIELD_NAMES[name] || name;
}

export function errorPanel(error) {
  const details = (error.body && error.body.details) || [];
  if ((error.status === 422 || error.status === 400) && error.code !== "INVALID_CURSOR") {
    return h(
      "div",
      { class: "panel panel-warn", role: "alert", testid: "validation-error" },
      h("h2", null, "Please check what you entered"),
      details.length
        ? h(
            "ul",
            null,
            details.map((detail) =>
              h("li", null, h("strong", null, `${fieldName(detail.field)}: `), detail.message),
            ),
          )
        : h("p", null, error.message),
    );
  }
  if (error.status === 404) {
    return h(
      "div",
      { class: "panel", role: "alert", testid: "not-found" },
      h("h2", null, "Not found"),
      h("p", null, `${error.message}. `, h("a", { href: "#/" }, "Back to status")),
    );
  }
  return h(
    "div",
    { class: "panel panel-error", role: "alert", testid: "error" },
    h("strong", null, "Something went wrong. "),
    error.message,
  );
}
