// The status page (#/) and a job's page (#/jobs/<job>): is every automation working, and if not, which and why.
import { fact, h, jobHref, replace, runHref } from "./dom.js";
import {
  HEALTH,
  HEALTH_ORDER,
  RUN_STATUS,
  durationText,
  healthBadge,
  label,
  localTime,
  percent,
  plural,
  shortId,
  statusBadge,
  timeNode,
} from "./format.js";
import { activityPanel } from "./activity.js";
import { trendsPanel } from "./charts.js";
import { errorPanel, liveData } from "./live.js";
import { runsTable } from "./runs-table.js";
import { errorSummary, logsLink } from "./run-detail.js";
import { jobIncidentsPanel, openIncidentsNode } from "./incidents.js";

const REFRESH_MS = 15000;
// RUNNING and NEW are not problems: the summary names only jobs someone should look at.
const NEEDS_ATTENTION = new Set(["FAILING", "LATE", "DEGRADED", "PAUSED"]);

// The answer to "do the automations work?" in one line, naming the jobs that need a look.
function summaryNode(jobs) {
  const byHealth = {};
  for (const job of jobs) (byHealth[job.health] ||= []).push(job);
  const healthy = (byHealth.HEALTHY || []).length;
  const others = HEALTH_ORDER.filter((health) => health !== "HEALTHY" && byHealth[health]);
  const attention = others.filter((health) => NEEDS_ATTENTION.has(health));
  const tone =
    byHealth.FAILING || byHealth.LATE ? "bad" : byHealth.DEGRADED ? "warn" : others.length ? "info" : "ok";
  const parts = [`${healthy} of ${plural(jobs.length, "automation")} healthy`];
  for (const health of others) parts.push(`${byHealth[health].length} ${label(health).toLowerCase()}`);
  const headline = parts.join(" · ");
  const icon = { ok: "✓", bad: "✕", warn: "!", info: "i" }[tone];
  const calm = others.map((health) => `${byHealth[health].length} ${HEALTH[health].brief}`).join(", ");
  const details = attention.flatMap((health) =>
    byHealth[health].map((job) =>
      h(
        "li",
        null,
        h("a", { href: jobHref(job.job) }, job.title || job.job),
        ` — ${label(health)}: ${HEALTH[health].brief}`,
        job.paused && job.paused.by ? ` by ${job.paused.by}` : "",
        job.paused && job.paused.reason ? ` (“${job.paused.reason}”)` : "",
      ),
    ),
  );
  return h(
    "section",
    { class: `summary tone-${tone}`, "aria-label": "Summary" },
    h("span", { class: "summary-icon", "aria-hidden": "true" }, icon),
    h(
      "div",
      null,
      h("p", { class: "summary-line", testid: "summary", dataset: { tone } }, headline),
      details.length ? h("ul", { class: "summary-details" }, details) : null,
      !details.length && !others.length
        ? h("p", { class: "summary-sub" }, "Every automation ran on schedule and its last run succeeded.")
        : null,
      !details.length && others.length
        ? h("p", { class: "summary-sub" }, `Nothing needs attention (${calm}).`)
        : null,
    ),
  );
}

function meaningText(job) {
  const base = (HEALTH[job.health] || {}).meaning || "";
  const last = job.last_run || {};
  if (job.health === "FAILING") {
    const streak =
      job.consecutive_failures > 1 ? ` ${job.consecutive_failures} runs in a row have failed.` : "";
    return `${base.replace(/\.$/, "")}${last.error_type ? ` (${last.error_type})` : ""}.${streak}`;
  }
  if (job.health === "DEGRADED" && last.counts) {
    return `The last run finished, but ${plural(last.counts.failed || 0, "item")} failed.`;
  }
  if (job.health === "LATE" && job.late) {
    return `The run due ${localTime(job.late.missed_tick)} did not start.`;
  }
  return base;
}

// Oldest on the left, newest on the right; height is duration, colour and tooltip are the outcome.
function runStrip(runs) {
  const ordered = [...(runs || [])].reverse();
  if (!ordered.length) {
    return h(
      "div",
      { class: "strip-wrap" },
      h("p", { class: "strip-empty" }, "No runs yet: the strip of recent runs starts with the first one."),
    );
  }
  const measured = Math.max(0, ...ordered.map((run) => run.duration_ms || 0));
  const longest = Math.max(1, measured);
  const bars = ordered.map((run) => {
    const info = RUN_STATUS[run.status] || { tone: "muted" };
    const when = run.started_at || run.scheduled_for || run.queued_at;
    const title = `${label(run.status)} · ${localTime(when)} · ${durationText(run.duration_ms)}${
      run.trigger === "MANUAL" ? ` · manual${run.triggered_by ? ` by ${run.triggered_by}` : ""}` : ""
    }${run.error_type ? ` · ${run.error_type}` : ""}`;
    const bar = h("a", {
      class: `strip-bar tone-${info.tone}${run.status === "RUNNING" || run.status === "QUEUED" ? " live" : ""}`,
      href: runHref(run.run_id),
      title,
      "aria-label": `Run ${shortId(run.run_id)}: ${title}`,
      dataset: { status: run.status || "" },
    });
    const share = run.duration_ms ? Math.sqrt(run.duration_ms / longest) : run.status === "SKIPPED" ? 0 : 0.6;
    bar.style.setProperty("--h", `${Math.round(18 + 82 * share)}%`);
    return bar;
  });
  return h(
    "div",
    { class: "strip-wrap" },
    h("div", { class: "strip", role: "group", "aria-label": "Recent runs, oldest to newest" }, bars),
    h(
      "p",
      { class: "strip-legend" },
      h("span", null, `Last ${plural(ordered.length, "run")} · newest on the right`),
      // Rows without a duration (MISSED, SKIPPED) set no scale: "tallest 1 ms" would be made up.
      measured ? h("span", null, `tallest ${durationText(measured)}`) : null,
    ),
  );
}

// The newest FAILED, TIMED_OUT or PARTIAL run with what went wrong, so a card never hides a problem.
function problemNode(problem) {
  if (!problem) return h("span", { class: "muted" }, "none");
  return h(
    "span",
    { class: "stack" },
    h(
      "span",
      { class: "inline-list" },
      statusBadge(problem.status),
      h("a", { href: runHref(problem.run_id) }, timeNode(problem.at, { relative: true })),
    ),
    h("small", { class: "problem-message", testid: "last-problem-message" }, problem.message),
  );
}

function lateNotice(job) {
  if (!job.late) return null;
  return h(
    "div",
    { class: "notice notice-warn late-notice", testid: `late-${job.job}` },
    h("strong", null, "Missed run: "),
    "due ",
    timeNode(job.late.missed_tick, { precise: true }),
    `, not started within ${job.late.grace_minutes} min. Check:`,
    h(
      "ul",
      { class: "checks" },
      job.late.checks.map((check) => h("li", null, check)),
    ),
  );
}

function eventNode(event, none) {
  if (!event) return h("span", { class: "muted" }, none);
  return h("a", { href: runHref(event.run_id) }, timeNode(event.at, { relative: true }));
}

function lastRunNode(run) {
  if (!run) return h("span", { class: "muted" }, "never ran");
  const when = run.finished_at || run.started_at || run.queued_at || run.scheduled_for;
  return h(
    "span",
    { class: "inline-list" },
    statusBadge(run.status),
    h("a", { href: runHref(run.run_id) }, timeNode(when, { relative: true })),
    run.duration_ms != null ? h("span", { class: "muted" }, `took ${durationText(run.duration_ms)}`) : null,
  );
}

function scheduleText(schedule) {
  const text = schedule.description || schedule.expression;
  return text.includes(schedule.timezone) ? text : `${text} (${schedule.timezone})`;
}

function jobCard(job, actions, { detail = false } = {}) {
  const info = HEALTH[job.health] || { tone: "muted" };
  const stats = job.stats || {};
  const schedule = job.schedule || {};
  const title = job.title || job.job;
  return h(
    "article",
    {
      class: `card job-card tone-${info.tone}${detail ? " job-card-detail" : ""}`,
      testid: `job-card-${job.job}`,
      "aria-labelledby": `title-${job.job}`,
    },
    h(
      "header",
      { class: "card-head" },
      h(
        "h2",
        { id: `title-${job.job}`, class: "card-title" },
        detail ? "Current status" : h("a", { href: jobHref(job.job) }, title),
      ),
      healthBadge(job.health, `health-${job.job}`),
    ),
    h("p", { class: `meaning text-${info.tone}`, testid: `meaning-${job.job}` }, meaningText(job)),
    detail ? lateNotice(job) : null,
    job.paused
      ? h(
          "p",
          { class: "notice notice-muted", testid: `paused-${job.job}` },
          h("strong", null, "Paused"),
          job.paused.by ? ` by ${job.paused.by}` : "",
          job.paused.at ? [" ", timeNode(job.paused.at, { relative: true })] : "",
          job.paused.reason ? h("span", { class: "quote" }, `“${job.paused.reason}”`) : "",
        )
      : null,
    job.in_flight_run_id
      ? h(
          "p",
          { class: "notice notice-info" },
          "A run is in progress: ",
          h("a", { href: runHref(job.in_flight_run_id) }, `follow run ${shortId(job.in_flight_run_id)}`),
        )
      : null,
    h(
      "dl",
      { class: "facts" },
      fact(
        "Schedule",
        h(
          "span",
          { title: `${schedule.expression} · grace ${schedule.grace_minutes} min` },
          scheduleText(schedule),
        ),
      ),
      fact(
        "Next run",
        schedule.next_run_at
          ? timeNode(schedule.next_run_at, { relative: true })
          : h("span", { class: "muted" }, job.paused ? "none while paused" : "—"),
      ),
      fact("Last run", lastRunNode(job.last_run)),
      fact("Last success", eventNode(job.last_success, "never")),
      fact("Last problem", problemNode(job.last_problem)),
      fact(
        "Failures in a row",
        h(
          "span",
          { class: job.consecutive_failures ? "text-bad strong" : null },
          String(job.consecutive_failures || 0),
        ),
      ),
      fact(
        "Success rate",
        stats.runs
          ? [
              percent(stats.success_rate),
              h(
                "span",
                { class: "muted" },
                ` of ${plural(stats.runs, "run")} in ${stats.window_days || 7} days`,
              ),
            ]
          : h("span", { class: "muted" }, `no finished runs in ${stats.window_days || 7} days`),
      ),
      fact(
        "Duration",
        stats.p50_duration_ms != null
          ? [
              `p50 ${durationText(stats.p50_duration_ms)}`,
              h("span", { class: "muted" }, " · "),
              `p95 ${durationText(stats.p95_duration_ms)}`,
            ]
          : h("span", { class: "muted" }, "—"),
      ),
    ),
    runStrip(job.recent_runs),
    h(
      "footer",
      { class: "card-actions" },
      h(
        "button",
        {
          type: "button",
          class: "button button-primary",
          testid: `run-now-${job.job}`,
          onclick: () => actions.runNow(job.job),
        },
        "Run now…",
      ),
      job.paused
        ? h(
            "button",
            {
              type: "button",
              class: "button",
              testid: `resume-${job.job}`,
              onclick: () => actions.resume(job),
            },
            "Resume…",
          )
        : h(
            "button",
            {
              type: "button",
              class: "button",
              testid: `pause-${job.job}`,
              onclick: () => actions.pause(job),
            },
            "Pause…",
          ),
      detail
        ? h(
            "a",
            { class: "button button-quiet", href: `#/runs?job=${encodeURIComponent(job.job)}` },
            "All runs in the logs",
          )
        : h("a", { class: "button button-quiet", href: jobHref(job.job) }, "Details"),
    ),
  );
}

function pageHead(title, freshness, ...extra) {
  return h("div", { class: "page-head" }, h("h1", null, title), ...extra, freshness);
}

export function renderStatus(main, ctx) {
  const body = h("div", { class: "status-body" });
  let live = null;
  live = liveData({
    every: REFRESH_MS,
    load: () => ctx.api("/jobs"),
    render: (data) => {
      ctx.rememberJobs(data.jobs);
      document.title = `${summaryTitle(data.jobs)} · Automation · DevSphere OS`;
      replace(
        body,
        summaryNode(data.jobs),
        openIncidentsNode(data.jobs),
        h(
          "div",
          { class: "cards" },
          data.jobs.map((job) => jobCard(job, ctx.actions)),
        ),
      );
    },
    onError: (error, hadData) => ctx.handleError(error, () => !hadData && replace(body, errorPanel(error))),
  });
  replace(main, pageHead("Automation status", live.freshness), body);
  return live;
}

function summaryTitle(jobs) {
  const bad = jobs.filter((job) => job.health !== "HEALTHY").length;
  return bad ? `${bad} need${bad === 1 ? "s" : ""} attention` : "All healthy";
}

function lastProblemPanel(job) {
  const run = job.last_problem_run || job.last_failure_run;
  if (!run)
    return h(
      "section",
      { class: "panel", testid: "job-last-problem" },
      h("h2", null, "Last problem"),
      h("p", { class: "muted" }, "No failed, timed-out or partly failed runs recorded."),
    );
  return h(
    "section",
    { class: "panel panel-error", testid: "job-last-problem" },
    h(
      "h2",
      null,
      "Last problem ",
      h("a", { href: runHref(run.run_id), class: "small" }, `run ${shortId(run.run_id)}`),
    ),
    errorSummary(run),
    h("p", null, logsLink(run)),
  );
}

export function renderJob(main, ctx, jobName) {
  const body = h("div", { class: "job-body" });
  const titleNode = h("span", null, jobName);
  const crumbNode = h("span", null, jobName);
  const incidents = jobIncidentsPanel(ctx, jobName);
  const activity = activityPanel(ctx, jobName);
  const live = liveData({
    every: REFRESH_MS,
    load: () => ctx.api(`/jobs/${encodeURIComponent(jobName)}`),
    render: (job) => {
      titleNode.textContent = job.title || job.job;
      crumbNode.textContent = job.title || job.job;
      document.title = `${job.title || job.job} · Automation · DevSphere OS`;
      incidents.update(job);
      activity.update(job);
      replace(
        body,
        job.description ? h("p", { class: "lead" }, job.description) : null,
        jobCard(job, ctx.actions, { detail: true }),
        lastProblemPanel(job),
        activity.node,
        trendsPanel(job.trends, job.stats),
        h(
          "section",
          { class: "panel" },
          h(
            "div",
            { class: "section-head" },
            h("h2", null, "Recent runs"),
            h("a", { href: `#/runs?job=${encodeURIComponent(job.job)}` }, "Search all runs of this job →"),
          ),
          job.recent_runs && job.recent_runs.length
            ? runsTable(job.recent_runs, { showJob: false, testid: "job-runs-table", caption: "Recent runs" })
            : h("p", { class: "muted" }, "This job has not run yet."),
        ),
      );
    },
    onError: (error, hadData) => ctx.handleError(error, () => !hadData && replace(body, errorPanel(error))),
  });
  replace(
    main,
    h("p", { class: "crumbs" }, h("a", { href: "#/" }, "Status"), " / ", crumbNode),
    pageHead(titleNode, live.freshness),
    body,
    incidents.node,
  );
  return live;
}
