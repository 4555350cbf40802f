// The runs table shared by the logs page and a job's page.
import { h, jobHref, runHref } from "./dom.js";
import { durationText, label, parseTime, shortId, statusBadge, timeNode } from "./format.js";

export function triggerNode(run) {
  if (run.trigger === "MANUAL") {
    return h(
      "span",
      null,
      "Manual",
      run.triggered_by ? h("span", { class: "muted" }, ` · ${run.triggered_by}`) : null,
    );
  }
  return h(
    "span",
    null,
    label(run.trigger ? run.trigger.charAt(0) + run.trigger.slice(1).toLowerCase() : "—"),
  );
}

// How long a run waited to start says more than a second, near-identical timestamp.
function startDelay(primary, started) {
  const wait = parseTime(started) - parseTime(primary);
  if (!(wait >= 1000)) return "started at once";
  return `started ${durationText(wait)} later`;
}

function whenNode(run) {
  const primary = run.scheduled_for || run.queued_at;
  return h(
    "span",
    { class: "stack" },
    timeNode(primary),
    run.started_at ? h("small", { class: "muted" }, startDelay(primary, run.started_at)) : null,
    !run.started_at && run.status !== "SKIPPED" ? h("small", { class: "muted" }, "not started") : null,
  );
}

function countsNode(run) {
  const counts = run.counts || {};
  const failed = counts.failed || 0;
  return h(
    "span",
    {
      class: "counts",
      title: `${counts.processed || 0} processed, ${counts.succeeded || 0} succeeded, ${failed} failed`,
    },
    String(counts.processed || 0),
    h("span", { class: "muted" }, " / "),
    String(counts.succeeded || 0),
    h("span", { class: "muted" }, " / "),
    h("span", { class: failed ? "text-bad" : null }, String(failed)),
  );
}

function cell(labelText, ...content) {
  return h("td", { "data-label": labelText }, ...content);
}

export function runRow(run, { showJob = true, jobTitles = {} } = {}) {
  return h(
    "tr",
    { testid: `run-row-${run.run_id}`, dataset: { status: run.status || "" } },
    cell(
      "Run",
      // The visible text is the accessible name (axe label-content-name-mismatch); the full id is a hint.
      h("a", { href: runHref(run.run_id), class: "mono", title: run.run_id }, shortId(run.run_id)),
    ),
    showJob ? cell("Job", h("a", { href: jobHref(run.job) }, jobTitles[run.job] || run.job)) : null,
    cell("Status", statusBadge(run.status)),
    cell("Trigger", triggerNode(run)),
    cell("Scheduled / started", whenNode(run)),
    cell("Duration", h("span", { class: "num" }, durationText(run.duration_ms))),
    cell("Processed / ok / failed", countsNode(run)),
    cell(
      "Error",
      run.error_summary
        ? h("span", { class: "error-cell text-bad", testid: "run-error-summary" }, run.error_summary)
        : h("span", { class: "muted" }, "—"),
    ),
  );
}

export function runsTable(runs, { showJob = true, jobTitles = {}, testid = "runs-table", caption } = {}) {
  const headings = [
    "Run",
    showJob ? "Job" : null,
    "Status",
    "Trigger",
    "Scheduled / started",
    "Duration",
    "Processed / ok / failed",
    "Error",
  ];
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "runs-table", testid },
      caption ? h("caption", { class: "visually-hidden" }, caption) : null,
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          headings.filter(Boolean).map((text) => h("th", { scope: "col" }, text)),
        ),
      ),
      h(
        "tbody",
        null,
        runs.map((run) => runRow(run, { showJob, jobTitles })),
      ),
    ),
  );
}
