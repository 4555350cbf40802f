// The local log view: one run's lines, fetched with this tab's portal sign-in (the page itself holds none).
import { currentUser } from "/api.js";

const runId = document.body.dataset.runId;
const status = document.getElementById("status");
const table = document.getElementById("lines");
const SHOWN_APART = new Set(["timestamp", "level", "message", "run_id", "service", "location"]);

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
}

function say(text) {
  status.textContent = text;
}

async function show() {
  const user = currentUser();
  if (!user) {
    say("Sign in to the portal in this tab, then open the logs from the run's page.");
    return;
  }
  const response = await fetch(`/logs/${encodeURIComponent(runId)}.json`, {
    headers: { Authorization: `Bearer ${user.token}` },
    cache: "no-store",
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    say((body && body.error && body.error.message) || `The logs could not be loaded (HTTP ${response.status}).`);
    return;
  }
  if (!body.lines.length) {
    say("No log lines for this run yet. The local runtime keeps them in memory for this session.");
    return;
  }
  say(`${body.lines.length} log lines.`);
  const rows = table.querySelector("tbody");
  for (const line of body.lines) {
    const row = document.createElement("tr");
    row.className = String(line.level || "");
    const fields = Object.fromEntries(Object.entries(line).filter(([key]) => !SHOWN_APART.has(key)));
    cell(row, String(line.timestamp || ""));
    cell(row, String(line.level || ""));
    cell(row, String(line.message || ""));
    cell(row, JSON.stringify(fields), "fields");
    rows.append(row);
  }
  table.hidden = false;
}

show().catch(() => say("The logs could not be loaded."));
