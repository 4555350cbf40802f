// The logs (#/runs): every run, filtered by job, status, trigger and time, newest first.
import { h, replace } from "./dom.js";
import { RUN_STATUS, label, localTime, plural } from "./format.js";
import { errorPanel } from "./live.js";
import { runRow, runsTable } from "./runs-table.js";

const PAGE_SIZE = 25;
const FILTERS = ["q", "job", "status", "trigger", "from", "to"];
const MINUTE_MS = 60_000;
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";

// The address holds UTC instants ("2026-11-28T09:00Z"), so a shared link means the same runs in New York
// and Tokyo; the inputs show the reader's own wall clock. A value without a zone (an old link) is local.
function parseInstant(value) {
  if (!value) return null;
  const moment = new Date(value);
  return Number.isNaN(moment.getTime()) ? null : moment;
}

function utcMinute(moment) {
  return moment.toISOString().slice(0, 16) + "Z";
}

function localInputValue(value) {
  const moment = parseInstant(value);
  if (!moment) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${moment.getFullYear()}-${pad(moment.getMonth() + 1)}-${pad(moment.getDate())}T${pad(
    moment.getHours(),
  )}:${pad(moment.getMinutes())}`;
}

// "To 09:30" means up to and including the 09:30 minute, so the API gets its last millisecond.
function apiTime(value, { endOfMinute = false } = {}) {
  const moment = parseInstant(value);
  if (!moment) return "";
  return new Date(moment.getTime() + (endOfMinute ? MINUTE_MS - 1 : 0)).toISOString();
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

function dateField(name, text, value, hint) {
  return h(
    "label",
    { class: "field field-date" },
    h("span", { class: "field-label" }, text, h("span", { class: "field-zone" }, ` (${ZONE})`)),
    h("input", {
      type: "datetime-local",
      name,
      value: localInputValue(value),
      testid: `filter-${name}`,
      title: hint,
    }),
  );
}

function searchField(value) {
  return h(
    "label",
    { class: "field field-search" },
    h("span", { class: "field-label" }, "Search"),
    h("input", {
      type: "search",
      name: "q",
      value: value || "",
      maxlength: 200,
      placeholder: "Run id, item key or email address",
      testid: "filter-q",
    }),
  );
}

// Say what was searched, so "nothing found" is not read as "it never happened" beyond the window.
function searchMiss(text, search) {
  const scope = search
    ? `the failed items of ${plural(search.runs_read, "run")} since ${localTime(search.since)}`
    : "the failed items of recent runs";
  return `No runs match “${text}”. A run id is looked up directly; other text is searched in ${scope}. Set “From” to look further back.`;
}

export function renderLogs(main, ctx, params) {
  const filters = Object.fromEntries(FILTERS.map((name) => [name, params.get(name) || ""]));
  const results = h("div", { class: "results" });
  const form = h("form", { class: "filters panel", testid: "logs-filters", role: "search" });
  let generation = 0;

  function fillForm(jobs) {
    replace(
      form,
      searchField(filters.q),
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
      dateField("from", "From", filters.from, "Runs created at or after this minute"),
      dateField("to", "To", filters.to, "Runs created up to the end of this minute"),
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
    for (const name of FILTERS) filters[name] = String(data.get(name) || "").trim();
    for (const name of ["from", "to"]) {
      const moment = parseInstant(filters[name]);
      filters[name] = moment ? utcMinute(moment) : "";
    }
  }

  function rangeProblem() {
    const from = parseInstant(filters.from);
    const to = parseInstant(filters.to);
    return from && to && from > to ? "“From” is later than “To”: no run can match. Swap them or clear one." : null;
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
        q: filters.q,
        job: filters.job,
        status: filters.status,
        trigger: filters.trigger,
        from: apiTime(filters.from),
        to: apiTime(filters.to, { endOfMinute: true }),
        limit: PAGE_SIZE,
        cursor,
      },
    });
  }

  async function load() {
    const mine = ++generation;
    const problem = rangeProblem();
    if (problem) {
      replace(
        results,
        h("p", { class: "panel panel-warn", role: "alert", testid: "validation-error" }, problem),
      );
      return;
    }
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
        h(
          "p",
          { class: "panel empty", testid: "logs-empty" },
          filters.q ? searchMiss(filters.q, page.search) : "No runs match these filters.",
        ),
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
