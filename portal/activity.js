// The job page's activity trail: what admins did to the job by hand — who, when, what, why, which run.
import { h, replace, runHref } from "./dom.js";
import { shortId, timeNode } from "./format.js";

const ACTION_TEXT = {
  PAUSE: "Paused the schedule",
  RESUME: "Resumed the schedule",
  RUN_NOW: "Ran it now",
  RETRY: "Retried failed items",
  RELEASE_PARKED: "Released parked items",
  RELEASE_UNCONFIRMED: "Released unconfirmed emails",
  CANCEL: "Cancelled a run",
};
const PAGE = 25;
// The job's status carries this many of the latest entries (the API's JOB_ACTIVITY).
const LATEST = 5;

function entryRow(entry) {
  return h(
    "tr",
    { dataset: { action: entry.action } },
    h("td", { "data-label": "When" }, timeNode(entry.at, { precise: true })),
    h("td", { "data-label": "Who" }, entry.by),
    h(
      "td",
      { "data-label": "Action" },
      ACTION_TEXT[entry.action] || entry.action,
      entry.detail ? h("span", { class: "muted small block" }, entry.detail) : null,
    ),
    h("td", { "data-label": "Why" }, entry.reason || h("span", { class: "muted" }, "no reason given")),
    h(
      "td",
      { "data-label": "Run" },
      entry.run_id
        ? h("a", { href: runHref(entry.run_id), class: "mono" }, `run ${shortId(entry.run_id)}`)
        : h("span", { class: "muted" }, "—"),
    ),
  );
}

// One panel per job page: refreshes replace the latest entries; older pages, once read, are kept.
export function activityPanel(ctx, jobName) {
  const rows = h("tbody");
  const more = h("p", { class: "small" });
  const table = h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "items-table activity-table", testid: "job-activity" },
      h("caption", { class: "visually-hidden" }, "Admin actions on this job, newest first"),
      h(
        "thead",
        null,
        h(
          "tr",
          null,
          ["When", "Who", "Action", "Why", "Run"].map((name) => h("th", { scope: "col" }, name)),
        ),
      ),
      rows,
    ),
  );
  const empty = h("p", { class: "muted", testid: "job-activity-empty" }, "No admin has acted on this job yet.");
  const node = h(
    "section",
    { class: "panel", testid: "job-activity-panel" },
    h("h2", null, "Activity"),
    h(
      "p",
      { class: "muted small" },
      "Pause, resume, run now, retries, releases and cancels — who did what, when and why. Times are in your time zone.",
    ),
    table,
    empty,
    more,
  );
  let latest = [];
  let older = [];
  let cursor = null;
  let expanded = false;

  function moreButton() {
    if (expanded ? !cursor : latest.length < LATEST) return null;
    return h(
      "button",
      {
        type: "button",
        class: "link-button",
        testid: "job-activity-more",
        onclick: async (event) => {
          event.target.disabled = true;
          try {
            const query = expanded ? { limit: String(PAGE), cursor } : { limit: String(PAGE) };
            const page = await ctx.api(`/jobs/${encodeURIComponent(jobName)}/activity`, { query });
            older = older.concat(page.entries);
            cursor = page.next_cursor;
            expanded = true;
            draw();
          } catch (error) {
            ctx.handleError(error, () => replace(more, h("span", { class: "panel-error" }, error.message)));
          }
        },
      },
      "Show older entries",
    );
  }

  function draw() {
    const seen = new Set();
    const entries = [...latest, ...older].filter((entry) => {
      const key = `${entry.at}|${entry.action}|${entry.by}|${entry.run_id}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    replace(rows, entries.map(entryRow));
    table.hidden = !entries.length;
    empty.hidden = entries.length > 0;
    replace(more, moreButton());
  }

  return {
    node,
    update(job) {
      latest = job.activity || [];
      draw();
    },
  };
}
