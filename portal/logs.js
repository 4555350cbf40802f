// The logs (#/runs): every run, filtered by job, status, trigger and time, newest first.
import { h, replace } from "./dom.js";
import { RUN_STATUS, label } from "./format.js";
import { errorPanel } from "./live.js";
import { runRow, runsTable } from "./runs-table.js";

const PAGE_SIZE = 25;
const FILTERS = ["job", "status", "trigger", "from", "to"];

// datetime-local inputs speak the reader's wall clock; the API wants UTC instants.
function toUtc(localValue) {
  if (!localValue) return "";
  const moment = new Date(localValue);
  return Number.isNaN(moment.getTime()) ? "" : moment.toISOString().replace(/\.\d{3}Z$/, "Z");
}

function select(name, text, options, value) {
  return h(
    "label",
    { class: "field" },
    h("span", { class: "field-label" }, text),
    h(
      "select",
      { name, testid: `filter-${name}` },
      h("option", { value: "" }, "Any"),
      options.map(([optionValue, optionText]) =>
        h("option", { value: optionValue, selected: optionValue === value }, optionText),
      ),
    ),
  );
}

function dateField(name, text, value) {
  return h(
    "label",
    { class: "field" },
    h("span", { class: "field-label" }, text),
    h("input", { type: "datetime-local", name, value: value || "", testid: `filter-${name}` }),
  );
}

export function renderLogs(main, ctx, params) {
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || ""]));
  const results = h("div", { class: "results" });
  const form = h("form", { class: "filters panel", testid: "logs-filters", role: "search" });
  let generation = 0;

  function fillForm(jobs) {
    replace(
      form,
      select(
        "job",
        "Job",
        jobs.map((job) => [job.job, job.title || job.job]),
        filters.job,
      ),
      select(
        "status",
        "Status",
        Object.keys(RUN_STATUS).map((status) => [status, label(status)]),
        filters.status,
      ),
      select(
        "trigger",
        "Trigger",
        [
          ["SCHEDULE", "Schedule"],
          ["MANUAL", "Manual"],
        ],
        filters.trigger,
      ),
      dateField("from", "From", filters.from),
      dateField("to", "To", filters.to),
      h(
        "div",
        { class: "filter-actions" },
        h("button", { type: "submit", class: "button button-primary", testid: "filter-apply" }, "Apply"),
        h(
          "button",
          { type: "button", class: "button button-quiet", testid: "filter-clear", onclick: clear },
          "Clear",
        ),
      ),
    );
  }

  function clear() {
    for (const name of FILTERS) filters[name] = "";
    fillForm(ctx.knownJobs());
    apply();
  }

  function readForm() {
    const data = new FormData(form);
    for (const name of FILTERS) filters[name] = String(data.get(name) || "");
  }

  // The filters live in the address so a filtered view can be bookmarked or shared; replaceState avoids a re-route.
  function apply() {
    const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value));
    const hash = `#/runs${query.toString() ? `?${query}` : ""}`;
    if (window.location.hash !== hash) window.history.replaceState(null, "", hash);
    load();
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    readForm();
    apply();
  });
  form.addEventListener("change", (event) => {
    if (event.target.tagName === "SELECT") {
      readForm();
      apply();
    }
  });

  async function fetchPage(cursor) {
    return ctx.api("/runs", {
      query: {
        job: filters.job,
        status: filters.status,
        trigger: filters.trigger,
        from: toUtc(filters.from),
        to: toUtc(filters.to),
        limit: PAGE_SIZE,
        cursor,
      },
    });
  }

  async function load() {
    const mine = ++generation;
    replace(results, h("p", { class: "muted loading" }, "Loading runs…"));
    let page;
    try {
      page = await fetchPage();
    } catch (error) {
      if (mine === generation) ctx.handleError(error, () => replace(results, errorPanel(error)));
      return;
    }
    if (mine !== generation) return;
    if (!page.runs.length) {
      replace(
        results,
        h("p", { class: "panel empty", testid: "logs-empty" }, "No runs match these filters."),
      );
      return;
    }
    const table = runsTable(page.runs, {
      jobTitles: ctx.jobTitles(),
      testid: "logs-table",
      caption: "Runs, newest first",
    });
    const tbody = table.querySelector("tbody");
    const shown = h("span", { class: "muted", testid: "logs-count" });
    const more = h("button", { type: "button", class: "button", testid: "load-more" }, "Load more");
    const footer = h("div", { class: "table-footer" }, shown, more);
    let cursor = page.next_cursor;
    const update = () => {
      const count = tbody.rows.length;
      shown.textContent = `Showing ${count} run${count === 1 ? "" : "s"}${cursor ? "" : " — that is all of them"}`;
      more.hidden = !cursor;
    };
    more.addEventListener("click", async () => {
      more.disabled = true;
      more.textContent = "Loading…";
      try {
        const next = await fetchPage(cursor);
        if (mine !== generation) return;
        for (const run of next.runs) tbody.append(runRow(run, { jobTitles: ctx.jobTitles() }));
        cursor = next.next_cursor;
      } catch (error) {
        ctx.handleError(error, () => footer.append(errorPanel(error)));
      } finally {
        more.disabled = false;
        more.textContent = "Load more";
        update();
      }
    });
    update();
    replace(results, table, footer);
  }

  fillForm(ctx.knownJobs());
  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", null, "Logs"),
      h(
        "p",
        { class: "muted" },
        "Every run is recorded with its outcome. Open a run to read its error, failed items and logs.",
      ),
    ),
    form,
    results,
  );
  ctx.ensureJobs().then((jobs) => {
    // The job list may arrive after the form was built; keep what the user already chose.
    if (jobs.length && form.querySelector('select[name="job"]').options.length <= 1) {
      readForm();
      fillForm(jobs);
    }
    load();
  });
  return {
    stop() {
      generation += 1;
    },
  };
}
