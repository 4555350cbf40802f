// One run (#/runs/<id>): what happened, why, and where the logs are.
import { fact, h, jobHref, replace, runHref, safeHref } from "./dom.js";
import {
  FINAL_STATUSES,
  RUN_STATUS,
  STANDARD_COUNTS,
  durationText,
  label,
  outcomeText,
  plural,
  shortId,
  statusBadge,
  timeNode,
} from "./format.js";
import { errorPanel, liveData } from "./live.js";
import { recoveryPanel, retryOfNotice } from "./recovery.js";
import { cancelControl, unconfirmedPanel } from "./run-actions.js";
import { triggerNode } from "./runs-table.js";

const FOLLOW_MS = 2000;

// Type, message and where: the part of a failure to read before anything is re-run.
export function errorSummary(run, testid) {
  const error = run.error;
  if (!error && run.status === "PARTIAL") {
    return h(
      "div",
      { class: "error-summary", testid },
      h("p", { class: "error-message" }, outcomeText(run)),
      reasonsList(run.failures_by_reason),
      h(
        "dl",
        { class: "facts facts-compact" },
        fact("When", timeNode(run.finished_at || run.started_at || run.queued_at, { relative: true })),
      ),
    );
  }
  if (!error) {
    return h(
      "p",
      { class: "muted", testid },
      run.error_type
        ? `${run.error_type} (no further detail recorded).`
        : "No error detail was recorded for this run.",
    );
  }
  return h(
    "div",
    { class: "error-summary", testid },
    h("p", { class: "error-type" }, h("code", null, error.type || "Error")),
    h("p", { class: "error-message" }, error.message || "(no message)"),
    h(
      "dl",
      { class: "facts facts-compact" },
      error.where ? fact("Where", h("code", { class: "wrap" }, error.where)) : null,
      fact("When", timeNode(run.finished_at || run.started_at || run.queued_at, { relative: true })),
      failedCount(run) ? fact("Failed items", String(failedCount(run))) : null,
    ),
  );
}

// A MISSED tick whose delivery came after its grace: the run it started is one click away.
function lateRunNotice(run) {
  if (!run.ran_late_as) return null;
  return h(
    "p",
    { class: "notice notice-info", testid: "run-ran-late-as" },
    "This tick's delivery arrived after its grace and ran as ",
    h("a", { href: runHref(run.ran_late_as), class: "mono" }, `run ${shortId(run.ran_late_as)}`),
    ".",
  );
}

// The run's own count: the item errors listed on it are only the first ones kept.
function failedCount(run) {
  return Math.max((run.counts && run.counts.failed) || 0, (run.item_errors || []).length);
}

export function logsLink(run, testid) {
  const href = safeHref(run.logs && run.logs.link);
  if (!href) return h("span", { class: "muted", testid }, "No log link recorded for this run.");
  // The local log view reads this tab's sign-in, which a new tab would not have; CloudWatch opens beside.
  if (new URL(href, window.location.href).origin === window.location.origin) {
    return h("a", { class: "button button-primary", href, testid }, "Open the logs");
  }
  return h(
    "a",
    { class: "button button-primary", href, target: "_blank", rel: "noopener noreferrer", testid },
    "Open the logs",
    h("span", { "aria-hidden": "true" }, " ↗"),
    h("span", { class: "visually-hidden" }, " (opens in a new tab)"),
  );
}

export function countsList(counts) {
  const entries = Object.entries(counts || {});
  const ordered = [
    ...STANDARD_COUNTS.filter((name) => name in (counts || {})).map((name) => [name, counts[name]]),
    ...entries.filter(([name]) => !STANDARD_COUNTS.includes(name)),
  ];
  if (!ordered.length) return h("p", { class: "muted" }, "No counts recorded.");
  return h(
    "dl",
    { class: "counts-grid", testid: "run-counts" },
    ordered.map(([name, value]) =>
      h(
        "div",
        { class: `count${name === "failed" && value ? " count-bad" : ""}` },
        h("dd", null, String(value)),
        h("dt", null, label(name)),
      ),
    ),
  );
}

function copyButton(text, caption = "Copy") {
  const button = h("button", { type: "button", class: "link-button small" }, caption);
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text);
      button.textContent = "Copied";
    } catch {
      button.textContent = "Copy failed";
    }
  });
  return button;
}

function triggerPanel(run) {
  const caller = run.caller;
  return h(
    "section",
    { class: "panel" },
    h("h2", null, "Trigger"),
    h(
      "dl",
      { class: "facts" },
      fact("Trigger", triggerNode(run)),
      run.trigger === "SCHEDULE"
        ? fact("Schedule tick", timeNode(run.scheduled_for, { precise: true }))
        : null,
      caller
        ? fact(
            "Who",
            caller.username || caller.sub,
            caller.email ? h("span", { class: "muted" }, ` <${caller.email}>`) : null,
            caller.groups && caller.groups.length
              ? h("span", { class: "muted" }, ` · groups: ${caller.groups.join(", ")}`)
              : null,
          )
        : null,
      run.trigger === "MANUAL" || run.reason
        ? fact(
            "Why",
            run.reason
              ? h("span", { class: "quote" }, `“${run.reason}”`)
              : h("span", { class: "muted" }, "no reason given"),
          )
        : null,
    ),
  );
}

function timingPanel(run) {
  return h(
    "section",
    { class: "panel" },
    h("h2", null, "Timing"),
    h(
      "dl",
      { class: "facts" },
      run.scheduled_for ? fact("Scheduled for", timeNode(run.scheduled_for, { precise: true })) : null,
      fact("Queued", timeNode(run.queued_at, { precise: true })),
      fact("Started", timeNode(run.started_at, { precise: true })),
      fact("Finished", timeNode(run.finished_at, { precise: true })),
      fact("Duration", durationText(run.duration_ms)),
      run.deadline_at ? fact("Deadline", timeNode(run.deadline_at, { precise: true })) : null,
      fact(
        "Segment",
        String(run.segment || 1),
        run.segment > 1
          ? h(
              "span",
              { class: "muted" },
              " — a large run that continued in a fresh invocation near its deadline",
            )
          : h("span", { class: "muted" }, " — ran in one invocation"),
      ),
      run.cursor ? fact("Resume cursor", h("code", { class: "wrap" }, run.cursor)) : null,
      run.expires_at ? fact("Kept until", timeNode(run.expires_at)) : null,
    ),
  );
}

function errorPanelFor(run) {
  const failed = run.error || run.error_type || run.status === "FAILED" || run.status === "TIMED_OUT";
  if (!failed) return null;
  const stack = run.error && run.error.stack;
  return h(
    "section",
    { class: "panel panel-error" },
    h("h2", null, "Error"),
    errorSummary(run, "run-detail-error"),
    stack
      ? h(
          "details",
          { class: "stack", testid: "run-detail-stack" },
          h("summary", null, "Stack trace: the cause chain, then our code, then libraries"),
          h("p", { class: "small" }, copyButton(stack, "Copy the stack trace")),
          h("pre", { class: "mono stack-text", tabindex: "0" }, stack),
        )
      : null,
  );
}

// Failed items grouped by cause: "3 items: address not verified" reads faster than 3 rows.
export function reasonsList(groups, testid) {
  if (!groups || !groups.length) return null;
  return h(
    "ul",
    { class: "reasons", testid },
    groups.map((group) =>
      h(
        "li",
        null,
        h("strong", null, plural(group.count, "item")),
        ": ",
        group.reason,
        group.keys && group.keys.length
          ? h("span", { class: "muted" }, ` (e.g. ${group.keys.join(", ")})`)
          : null,
      ),
    ),
  );
}

function itemErrorsPanel(run) {
  const items = run.item_errors || [];
  if (!items.length) return null;
  const failed = (run.counts && run.counts.failed) || items.length;
  return h(
    "section",
    { class: "panel" },
    h(
      "h2",
      null,
      `Failed items (${items.length}${failed > items.length ? ` of ${failed}, the first ones` : ""})`,
    ),
    h(
      "p",
      { class: "muted small" },
      "Each failed item is retried by the next run, up to the job's retry limit.",
    ),
    reasonsList(run.failures_by_reason, "run-detail-reasons"),
    h(
      "div",
      { class: "table-wrap" },
      h(
        "table",
        { class: "items-table", testid: "run-detail-items" },
        h(
          "thead",
          null,
          h("tr", null, h("th", { scope: "col" }, "Item"), h("th", { scope: "col" }, "Reason")),
        ),
        h(
          "tbody",
          null,
          items.map((item) =>
            h(
              "tr",
              null,
              h("td", { "data-label": "Item" }, h("code", { class: "wrap" }, item.key)),
              h("td", { "data-label": "Reason" }, item.reason),
            ),
          ),
        ),
      ),
    ),
  );
}

function logsPanel(run) {
  const logs = run.logs || {};
  return h(
    "section",
    { class: "panel panel-logs" },
    h("h2", null, "Where the logs are"),
    h("p", null, logsLink(run)),
    h(
      "dl",
      { class: "facts facts-compact" },
      logs.log_group ? fact("Log group", h("code", { class: "wrap" }, logs.log_group)) : null,
      logs.log_stream ? fact("Log stream", h("code", { class: "wrap" }, logs.log_stream)) : null,
      logs.request_id ? fact("Request id", h("code", { class: "wrap" }, logs.request_id)) : null,
    ),
  );
}

export function outcomeBanner(run, testid) {
  const info = RUN_STATUS[run.status] || { tone: "muted", icon: "?" };
  const final = FINAL_STATUSES.has(run.status);
  return h(
    "div",
    { class: `banner tone-${info.tone}`, role: "status", testid, dataset: { status: run.status || "" } },
    h("span", { class: "banner-icon", "aria-hidden": "true" }, info.icon),
    h(
      "div",
      null,
      h("p", { class: "banner-title" }, final ? outcomeText(run) : `${label(run.status)} — ${info.meaning}`),
      !final
        ? h("p", { class: "banner-sub" }, "This page follows the run and updates every 2 seconds.")
        : null,
    ),
  );
}

function renderRunBody(run, jobTitles, ctx) {
  return [
    h(
      "div",
      { class: "page-head run-head" },
      h(
        "h1",
        null,
        h("a", { href: jobHref(run.job) }, jobTitles[run.job] || run.job),
        " run ",
        h("span", { class: "mono", title: run.run_id }, shortId(run.run_id)),
      ),
      statusBadge(run.status, "run-detail-status"),
      h("span", { class: "head-action" }, logsLink(run, "run-detail-logs-link")),
    ),
    h(
      "p",
      { class: "run-id muted small" },
      "Run id ",
      h("code", null, run.run_id),
      " ",
      copyButton(run.run_id),
    ),
    outcomeBanner(run, "run-detail-outcome"),
    lateRunNotice(run),
    retryOfNotice(run),
    cancelControl(ctx, run, (updated) => ctx.showRun(updated)),
    run.blocked_by
      ? h(
          "p",
          { class: "notice notice-muted", testid: "run-detail-blocked-by" },
          "Not started because run ",
          h("a", { href: runHref(run.blocked_by), class: "mono" }, shortId(run.blocked_by)),
          " of this job was still in flight. One run of a job at a time.",
        )
      : null,
    errorPanelFor(run),
    itemErrorsPanel(run),
    recoveryPanel(run, ctx),
    unconfirmedPanel(ctx, run),
    h(
      "div",
      { class: "detail-grid" },
      h("section", { class: "panel" }, h("h2", null, "Counts"), countsList(run.counts)),
      triggerPanel(run),
    ),
    h("div", { class: "detail-grid" }, timingPanel(run), logsPanel(run)),
  ];
}

export function renderRun(main, ctx, runId) {
  const body = h("div", { class: "run-body" });
  let shown = null;
  // An action on the run answers with the run as it is now: shown at once, even after the page stopped asking.
  const runCtx = {
    ...ctx,
    showRun: (run) => {
      shown = run;
      replace(body, ...renderRunBody(run, ctx.jobTitles(), runCtx));
    },
  };
  const live = liveData({
    every: FOLLOW_MS,
    load: () => ctx.api(`/runs/${encodeURIComponent(runId)}`),
    render: (run) => {
      shown = run;
      document.title = `Run ${shortId(run.run_id)} · ${label(run.status)} · Automation · DevSphere OS`;
      replace(body, ...renderRunBody(run, ctx.jobTitles(), runCtx));
      // A finished run never changes again: stop asking.
      if (FINAL_STATUSES.has(run.status)) {
        live.stop();
        live.freshness.hidden = true;
      }
    },
    onError: (error, hadData) => ctx.handleError(error, () => !hadData && replace(body, errorPanel(error))),
  });
  replace(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/runs" }, "Logs"), " / ", `Run ${shortId(runId)}`),
    live.freshness,
    body,
  );
  // Opened from a link, the page has no job titles yet: show the job's name once they arrive.
  ctx.ensureJobs().then(() => {
    if (shown) replace(body, ...renderRunBody(shown, ctx.jobTitles(), runCtx));
  });
  return live;
}
