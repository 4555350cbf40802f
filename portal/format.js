// Vocabulary and formatting: what each status means in plain words, and times in the reader's own zone.
import { h } from "./dom.js";

// meaning: one plain line on the card; brief: what the summary says about a job in this state.
export const HEALTH = {
  FAILING: { tone: "bad", icon: "✕", meaning: "The last run failed.", brief: "its last run failed" },
  LATE: {
    tone: "late",
    icon: "!",
    meaning: "A scheduled run did not start.",
    brief: "a scheduled run did not start",
  },
  DEGRADED: {
    tone: "warn",
    icon: "!",
    meaning: "The last run finished, but some items failed.",
    brief: "some items failed in its last run",
  },
  RUNNING: { tone: "info", icon: "▸", meaning: "A run is in progress right now.", brief: "running now" },
  PAUSED: {
    tone: "muted",
    icon: "‖",
    meaning: "Its schedule is switched off: nothing runs until it is resumed.",
    brief: "schedule switched off",
  },
  NEW: {
    tone: "new",
    icon: "○",
    meaning: "Has not run yet; its first scheduled run is not due.",
    brief: "not run yet, first run not due",
  },
  HEALTHY: {
    tone: "ok",
    icon: "✓",
    meaning: "The last run succeeded and no scheduled run is late.",
    brief: "fine",
  },
};

export const HEALTH_ORDER = Object.keys(HEALTH);

export const RUN_STATUS = {
  QUEUED: { tone: "info", icon: "…", meaning: "Accepted, waiting to start." },
  RUNNING: { tone: "info", icon: "▸", meaning: "In progress." },
  SUCCEEDED: { tone: "ok", icon: "✓", meaning: "Finished; every item succeeded." },
  PARTIAL: { tone: "warn", icon: "!", meaning: "Finished, but some items failed." },
  FAILED: { tone: "bad", icon: "✕", meaning: "Stopped with an error." },
  TIMED_OUT: { tone: "bad", icon: "✕", meaning: "Ran out of time and was stopped." },
  SKIPPED: { tone: "muted", icon: "–", meaning: "Not started: another run of this job was in flight." },
  MISSED: { tone: "late", icon: "!", meaning: "The scheduled tick started no run within its grace." },
  CANCELLED: {
    tone: "muted",
    icon: "■",
    meaning: "Stopped by an admin; what it did before stopping is kept.",
  },
};

export const FINAL_STATUSES = new Set([
  "SUCCEEDED",
  "PARTIAL",
  "FAILED",
  "TIMED_OUT",
  "SKIPPED",
  "MISSED",
  "CANCELLED",
]);
export const STANDARD_COUNTS = ["processed", "succeeded", "failed", "skipped"];

export function label(value) {
  return String(value || "").replaceAll("_", " ");
}

export function healthBadge(health, testid) {
  const info = HEALTH[health] || { tone: "muted", icon: "?" };
  return h(
    "span",
    { class: `badge tone-${info.tone}`, testid, dataset: { health: health || "" } },
    h("span", { class: "badge-icon", "aria-hidden": "true" }, info.icon),
    label(health || "UNKNOWN"),
  );
}

export function statusBadge(status, testid) {
  const info = RUN_STATUS[status] || { tone: "muted", icon: "?" };
  return h(
    "span",
    {
      class: `badge badge-small tone-${info.tone}`,
      testid,
      title: info.meaning,
      dataset: { status: status || "" },
    },
    h("span", { class: "badge-icon", "aria-hidden": "true" }, info.icon),
    label(status || "UNKNOWN"),
  );
}

export function parseTime(iso) {
  if (!iso) return null;
  const moment = new Date(iso);
  return Number.isNaN(moment.getTime()) ? null : moment;
}

const clockFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  day: "numeric",
  month: "short",
  hour: "numeric",
  minute: "2-digit",
});
const todayFormat = new Intl.DateTimeFormat(undefined, { hour: "numeric", minute: "2-digit" });
const secondsFormat = new Intl.DateTimeFormat(undefined, {
  weekday: "short",
  day: "numeric",
  month: "short",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  timeZoneName: "short",
});
const relativeFormat = new Intl.RelativeTimeFormat(undefined, { numeric: "always" });

function sameDay(a, b) {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}

// "today" needs no date: a time alone reads faster in a card full of times.
export function localTime(iso, { precise = false, short = false } = {}) {
  const moment = parseTime(iso);
  if (!moment) return "—";
  if (precise) return secondsFormat.format(moment);
  return short && sameDay(moment, new Date()) ? todayFormat.format(moment) : clockFormat.format(moment);
}

function relativeTime(iso, now = Date.now()) {
  const moment = parseTime(iso);
  if (!moment) return "";
  const seconds = Math.round((moment.getTime() - now) / 1000);
  const size = Math.abs(seconds);
  if (size < 45) return seconds <= 0 ? "just now" : "in a few seconds";
  if (size < 3600) return relativeFormat.format(Math.round(seconds / 60), "minute");
  if (size < 36 * 3600) return relativeFormat.format(Math.round(seconds / 3600), "hour");
  return relativeFormat.format(Math.round(seconds / 86400), "day");
}

// Local time for reading, the exact UTC instant on hover so two people can compare notes.
export function timeNode(iso, { relative = false, precise = false, testid } = {}) {
  if (!parseTime(iso)) return h("span", { class: "muted", testid }, "—");
  const text = relative
    ? `${relativeTime(iso)} · ${localTime(iso, { short: true })}`
    : localTime(iso, { precise });
  return h("time", { datetime: iso, title: `${iso} (UTC)`, testid }, text);
}

export function durationText(ms) {
  if (ms == null || Number.isNaN(Number(ms))) return "—";
  const value = Number(ms);
  if (value < 1000) return `${Math.round(value)} ms`;
  const seconds = value / 1000;
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)} s`;
  const minutes = Math.floor(seconds / 60);
  const restSeconds = Math.round(seconds % 60);
  if (minutes < 60) return restSeconds ? `${minutes} min ${restSeconds} s` : `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  const restMinutes = minutes % 60;
  return restMinutes ? `${hours} h ${restMinutes} min` : `${hours} h`;
}

export function percent(fraction) {
  if (fraction == null) return "—";
  const value = fraction * 100;
  return `${value === 100 || value === 0 ? value : value.toFixed(1).replace(/\.0$/, "")}%`;
}

// ULIDs start with their timestamp, so runs of the same minute share a prefix: the tail tells them apart.
export function shortId(runId) {
  const text = String(runId || "");
  return text.length > 10 ? `…${text.slice(-8)}` : text;
}

// "reports_built" names many; one of them is "1 report built", never "1 reports built".
export function countText(value, name) {
  const words = label(name).split(" ");
  if (value === 1 && words[0].endsWith("s")) words[0] = words[0].slice(0, -1);
  return `${value} ${words.join(" ")}`;
}

export function plural(count, word) {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

// Job-specific counts ("emails_sent") say what a run achieved better than the generic ones.
function specificCount(counts) {
  const found = Object.entries(counts || {}).find(
    ([name, value]) => !STANDARD_COUNTS.includes(name) && value > 0,
  );
  return found ? countText(found[1], found[0]) : null;
}

export function headlineCount(counts) {
  const specific = specificCount(counts);
  if (specific) return specific;
  const processed = (counts || {}).processed || 0;
  if (!processed) return "nothing was due (0 items processed)";
  return `${processed} item${processed === 1 ? "" : "s"} processed`;
}

export function outcomeText(run) {
  const error = run.error ? `${run.error.type}: ${run.error.message}` : run.error_type || "no error recorded";
  const counts = run.counts || {};
  switch (run.status) {
    case "SUCCEEDED":
      return `Succeeded — ${headlineCount(counts)}`;
    case "PARTIAL": {
      const achieved = specificCount(counts);
      const failed = `${counts.failed || 0} of ${plural(counts.processed || 0, "item")} failed`;
      return `Partly succeeded — ${achieved ? `${achieved}; ${failed}` : failed}`;
    }
    case "FAILED":
      return `Failed — ${error}`;
    case "TIMED_OUT":
      return `Timed out — ${error}`;
    case "SKIPPED":
      return "Skipped — another run of this job was in flight";
    case "MISSED": {
      // The detail names the run a late delivery started; a list row has only the error's summary.
      const what = run.error ? run.error.message : "the scheduled tick started no run";
      const after = run.ran_late_as
        ? `Its delivery came late and ran as run ${shortId(run.ran_late_as)}.`
        : run.skip_reason || "";
      return `Missed — ${what}. ${after}`.trim();
    }
    case "CANCELLED":
      return `Cancelled — ${run.error ? run.error.message : "stopped by an admin"}; ${headlineCount(counts)}`;
    default:
      return label(run.status);
  }
}
