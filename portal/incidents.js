// Incidents: each LATE / FAILING / TIMED_OUT episode of a job, with when it started and ended and the alerts
// sent. The open ones lead the status page; a job's page lists its past ones.
import { h, jobHref, replace, runHref } from "./dom.js";
import { durationText, label, localTime, plural, shortId, timeNode } from "./format.js";

const KIND_TONE = { LATE: "late", FAILING: "bad", TIMED_OUT: "bad" };
const JOB_PAGE_LIMIT = 20;

function kindBadge(kind) {
  return h("span", { class: `badge badge-small tone-${KIND_TONE[kind] || "muted"}` }, label(kind));
}

function alertsText(alerts) {
  if (!alerts || !alerts.length) return "no alert recorded";
  const sent = alerts.filter((alert) => !alert.error);
  const unsent = alerts.length - sent.length;
  const failed = unsent ? ` · ${plural(unsent, "alert")} NOT sent` : "";
  if (!sent.length) return `no alert sent${failed}`;
  const last = sent[sent.length - 1];
  return `${plural(sent.length, "alert")} sent, last ${localTime(last.at, { short: true })}${failed}`;
}

// The open incident of each job from GET /jobs: no extra request for the status page.
export function openIncidentsNode(jobs) {
  const open = (jobs || []).filter((job) => job.incident && job.incident.open);
  if (!open.length) return null;
  return h(
    "section",
    { class: "panel incidents-open", testid: "open-incidents", "aria-labelledby": "open-incidents-title" },
    h("h2", { id: "open-incidents-title" }, `Open incidents (${open.length})`),
    h(
      "ul",
      { class: "incident-list" },
      open.map(({ job, title, incident }) =>
        h(
          "li",
          { class: "incident-row", testid: `open-incident-${job}` },
          kindBadge(incident.kind),
          h("a", { href: jobHref(job) }, title || job),
          h("span", null, " since ", timeNode(incident.started_at, { relative: true })),
          h("span", { class: "muted" }, ` · ${alertsText(incident.alerts)}`),
          incident.summary ? h("small", { class: "incident-summary" }, incident.summary) : null,
        ),
      ),
    ),
  );
}

function incidentRow(incident) {
  return h(
    "tr",
    { testid: "incident-row", dataset: { kind: incident.kind, open: String(incident.open) } },
    h("td", null, kindBadge(incident.kind)),
    h("td", null, timeNode(incident.started_at)),
    h("td", null, incident.open ? h("strong", null, "open") : timeNode(incident.ended_at)),
    h("td", null, incident.open ? "—" : durationText(incident.duration_ms)),
    h(
      "td",
      null,
      incident.summary || "",
      incident.run_id
        ? [" ", h("a", { href: runHref(incident.run_id) }, `run ${shortId(incident.run_id)}`)]
        : null,
      incident.end_summary ? h("small", { class: "incident-summary" }, `Ended: ${incident.end_summary}`) : null,
    ),
    h(
      "td",
      null,
      incident.alerts && incident.alerts.length
        ? h(
            "ul",
            { class: "incident-alerts" },
            incident.alerts.map((alert) =>
              h(
                "li",
                null,
                timeNode(alert.at),
                " ",
                alert.subject,
                alert.error ? h("span", { class: "alert-unsent" }, ` — not sent: ${alert.error}`) : null,
              ),
            ),
          )
        : h("span", { class: "muted" }, "none recorded"),
    ),
  );
}

function incidentsTable(incidents) {
  if (!incidents.length) return h("p", { class: "muted" }, "No incidents recorded for this job.");
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table incidents-table", testid: "job-incidents-table" },
      h("caption", { class: "visually-hidden" }, "Incidents of this job, newest first"),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["Kind", "Started", "Ended", "Lasted", "What happened", "Alerts sent"].map((name) =>
            h("th", { scope: "col" }, name),
          ),
        ),
      ),
      h("tbody", null, incidents.map(incidentRow)),
    ),
  );
}

// A job page's "Incidents" section: loaded when the page opens and again when the job's open incident
// changes, so the 15-second refresh does not re-read the history each time.
export function jobIncidentsPanel(ctx, jobName) {
  const content = h("div", null, h("p", { class: "muted" }, "Loading incidents…"));
  const node = h(
    "section",
    { class: "panel", testid: "job-incidents", "aria-labelledby": "job-incidents-title" },
    h("h2", { id: "job-incidents-title" }, "Incidents"),
    content,
  );
  let seen;
  const load = async () => {
    try {
      const page = await ctx.api(
        `/incidents?job=${encodeURIComponent(jobName)}&limit=${JOB_PAGE_LIMIT}`,
      );
      replace(content, incidentsTable(page.incidents || []));
    } catch (error) {
      replace(content, h("p", { class: "text-bad" }, `Incidents could not be loaded: ${error.message}`));
    }
  };
  const update = (job) => {
    const incident = job.incident;
    const key = incident ? `${incident.incident_id}:${incident.alerts.length}` : "none";
    if (key === seen) return;
    seen = key;
    load();
  };
  return { node, update };
}
