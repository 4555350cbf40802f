// A job's trends over the days of its statistics window, drawn as inline SVG (no chart library):
// runs per day stacked by outcome, and duration p50/p95 per day. Each chart has a text alternative.
import { h } from "./dom.js";
import { durationText, label, plural } from "./format.js";

const SVG = "http://www.w3.org/2000/svg";
const OUTCOMES = ["SUCCEEDED", "PARTIAL", "FAILED", "TIMED_OUT", "MISSED", "CANCELLED", "SKIPPED"];
const WIDTH = 560;
const HEIGHT = 160;
const PAD = { top: 10, right: 10, bottom: 24, left: 44 };

function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value != null) el.setAttribute(name, String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child != null) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

function dayLabel(date) {
  const [, month, day] = date.split("-");
  return `${Number(day)}/${Number(month)}`;
}

function frame(titleText, testid, content, max, unit) {
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  return s(
    "svg",
    {
      viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
      class: "chart",
      role: "img",
      "aria-label": titleText,
      "data-testid": testid,
    },
    s("title", null, titleText),
    s("line", { x1: PAD.left, x2: WIDTH - PAD.right, y1: PAD.top + plotHeight, y2: PAD.top + plotHeight, class: "axis" }),
    s("text", { x: PAD.left - 6, y: PAD.top + 8, class: "tick", "text-anchor": "end" }, unit(max)),
    s("text", { x: PAD.left - 6, y: PAD.top + plotHeight, class: "tick", "text-anchor": "end" }, "0"),
    content,
  );
}

function slots(trends) {
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const step = plotWidth / Math.max(1, trends.length);
  return trends.map((_, index) => ({ x: PAD.left + index * step, width: step }));
}

function runsChart(trends) {
  const totals = trends.map((day) => OUTCOMES.reduce((sum, status) => sum + (day.by_status[status] || 0), 0));
  const max = Math.max(1, ...totals);
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const columns = slots(trends);
  const bars = trends.map((day, index) => {
    const { x, width } = columns[index];
    let base = PAD.top + plotHeight;
    const pieces = OUTCOMES.filter((status) => day.by_status[status]).map((status) => {
      const count = day.by_status[status];
      const height = (count / max) * plotHeight;
      base -= height;
      return s(
        "rect",
        { x: x + width * 0.15, y: base, width: width * 0.7, height, class: `bar s-${status}` },
        s("title", null, `${day.date}: ${count} ${label(status).toLowerCase()}`),
      );
    });
    return [
      ...pieces,
      s("text", { x: x + width / 2, y: HEIGHT - 6, class: "tick", "text-anchor": "middle" }, dayLabel(day.date)),
    ];
  });
  const total = totals.reduce((a, b) => a + b, 0);
  const problems = trends.reduce(
    (sum, day) =>
      sum + ["PARTIAL", "FAILED", "TIMED_OUT", "MISSED"].reduce((n, status) => n + (day.by_status[status] || 0), 0),
    0,
  );
  const text = `Runs per day over ${trends.length} days: ${plural(total, "run")}, ${plural(problems, "problem run")}.`;
  return frame(text, "trend-runs", bars, max, String);
}

function durationChart(trends) {
  const values = trends.flatMap((day) => [day.p50_duration_ms, day.p95_duration_ms]).filter((v) => v != null);
  const max = Math.max(1, ...values);
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const columns = slots(trends);
  const y = (value) => PAD.top + plotHeight - (value / max) * plotHeight;
  const series = ["p50_duration_ms", "p95_duration_ms"].map((key) => {
    const points = trends
      .map((day, index) => (day[key] == null ? null : [columns[index].x + columns[index].width / 2, y(day[key]), day]))
      .filter(Boolean);
    const name = key.slice(0, 3);
    return [
      points.length > 1
        ? s("polyline", { points: points.map(([px, py]) => `${px},${py}`).join(" "), class: `line l-${name}` })
        : null,
      points.map(([px, py, day]) =>
        s(
          "circle",
          { cx: px, cy: py, r: 3.5, class: `dot l-${name}` },
          s("title", null, `${day.date}: ${name} ${durationText(day[key])}`),
        ),
      ),
    ];
  });
  const labels = trends.map((day, index) =>
    s(
      "text",
      { x: columns[index].x + columns[index].width / 2, y: HEIGHT - 6, class: "tick", "text-anchor": "middle" },
      dayLabel(day.date),
    ),
  );
  const worst = values.length ? durationText(Math.max(...values)) : "no finished runs";
  const text = `Run duration per day, p50 and p95, over ${trends.length} days; longest p95 ${worst}.`;
  return frame(text, "trend-durations", [series, labels], max, durationText);
}

function legend(items) {
  return h(
    "ul",
    { class: "chart-legend" },
    items.map(([css, text]) => h("li", null, h("span", { class: `swatch ${css}`, "aria-hidden": "true" }), text)),
  );
}

export function trendsPanel(trends, stats) {
  if (!trends || !trends.length) return null;
  return h(
    "section",
    { class: "panel", testid: "trends" },
    h("h2", null, `Last ${trends.length} days`),
    h(
      "p",
      { class: "muted small" },
      stats && stats.runs
        ? `${plural(stats.runs, "finished run")}; only fully successful runs count as successes.`
        : "No finished runs in this window.",
    ),
    h(
      "div",
      { class: "detail-grid" },
      h(
        "figure",
        { class: "chart-figure" },
        h("figcaption", null, "Runs per day, by outcome"),
        runsChart(trends),
        legend(OUTCOMES.map((status) => [`s-${status}`, label(status).toLowerCase()])),
      ),
      h(
        "figure",
        { class: "chart-figure" },
        h("figcaption", null, "Duration per day (p50 and p95)"),
        durationChart(trends),
        legend([
          ["l-p50", "p50 (typical)"],
          ["l-p95", "p95 (slowest 5%)"],
        ]),
      ),
    ),
  );
}
