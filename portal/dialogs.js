// Run now, pause and resume: each asks for a reason, and Run now shows the last error first, then
// follows the new run to its outcome instead of leaving the reader to assume it worked.
import { newIdempotencyKey } from "./api.js";
import { h, replace, runHref } from "./dom.js";
import {
  FINAL_STATUSES,
  RUN_STATUS,
  durationText,
  label,
  shortId,
  statusBadge,
  timeNode,
} from "./format.js";
import { countsList, errorSummary, logsLink, outcomeBanner } from "./run-detail.js";
import { openCancelDialog } from "./run-actions.js";

const FOLLOW_MS = 2000;
const MAX_REASON = 500;

export function createDialogs(ctx) {
  const dialog = document.getElementById("dialog");
  let onClose = null;
  // Counts dialogs opened, so an answer that arrives after its dialog was replaced is dropped.
  let opened = 0;

  dialog.addEventListener("close", () => {
    const callback = onClose;
    onClose = null;
    if (callback) callback();
  });

  // Swapping content keeps the dialog open: closing it would fire a late "close" into the next step.
  function open(content, closed) {
    onClose = closed || null;
    opened += 1;
    replace(dialog, content);
    if (!dialog.open) dialog.showModal();
    const first = dialog.querySelector("textarea, [autofocus]");
    if (first) first.focus();
  }

  function close() {
    if (dialog.open) dialog.close();
  }

  function closeButton(text = "Cancel") {
    return h(
      "button",
      { type: "button", class: "button button-quiet", testid: "dialog-close", onclick: close },
      text,
    );
  }

  function reasonField({ testid, labelText, hint, required }) {
    const area = h("textarea", {
      id: testid,
      name: "reason",
      rows: 3,
      maxlength: MAX_REASON,
      testid,
      required,
    });
    const counter = h("span", { class: "counter" }, `0 / ${MAX_REASON}`);
    area.addEventListener("input", () => {
      counter.textContent = `${area.value.length} / ${MAX_REASON}`;
    });
    const field = h(
      "div",
      { class: "field field-block" },
      h(
        "label",
        { class: "field-label", for: testid },
        labelText,
        required ? h("span", { class: "required" }, " (required)") : null,
      ),
      area,
      h("p", { class: "field-hint" }, h("span", null, hint), counter),
    );
    return { field, area };
  }

  function errorSlot() {
    return h("div", { class: "dialog-error", role: "alert" });
  }

  function showError(slot, error) {
    replace(slot, h("p", { class: "panel panel-error small" }, error.message));
  }

  // ---- Run now -----------------------------------------------------------------------------

  // A missed tick comes first: re-running does not fix a schedule that does not fire.
  function lateSection(job) {
    const late = job.late;
    if (!late) return null;
    return h(
      "section",
      { class: "last-failure notice-warn", testid: "run-late" },
      h("h3", null, "A scheduled run did not start"),
      h(
        "p",
        null,
        "The run due ",
        timeNode(late.missed_tick, { precise: true }),
        ` did not start within its ${late.grace_minutes}-minute grace. Check:`,
      ),
      h(
        "ul",
        { class: "checks" },
        late.checks.map((check) => h("li", null, check)),
      ),
    );
  }

  // The last problem (FAILED, TIMED_OUT or PARTIAL): the thing to read before re-running.
  function lastProblemSection(job) {
    const run = job.last_problem_run || job.last_failure_run;
    const body = run
      ? [
          h(
            "p",
            { class: "inline-list small" },
            statusBadge(run.status),
            h("span", { class: "muted" }, `${run.trigger === "MANUAL" ? "manual" : "scheduled"} run`),
          ),
          errorSummary(run, "run-last-failure-error"),
          h(
            "p",
            { class: "small inline-list" },
            h("a", { href: runHref(run.run_id), onclick: close }, `Open run ${shortId(run.run_id)}`),
            logsLink(run),
          ),
        ]
      : h("p", { class: "muted", testid: "run-no-failures" }, "No failed, timed-out or partly failed run recorded for this job.");
    return h(
      "section",
      { class: `last-failure${run ? " panel-error" : ""}`, testid: "run-last-failure" },
      h("h3", null, "Last problem"),
      body,
    );
  }

  async function runNow(jobName) {
    const title = ctx.jobTitles()[jobName] || jobName;
    const slot = h(
      "div",
      { class: "dialog-slot" },
      h("p", { class: "muted loading" }, "Reading the last problem…"),
    );
    open(
      h(
        "div",
        { class: "dialog-body", testid: "run-dialog" },
        h("h2", { id: "dialog-title" }, `Run ${title} now`),
        slot,
      ),
    );
    const mine = opened;
    let job;
    try {
      job = await ctx.api(`/jobs/${encodeURIComponent(jobName)}`);
    } catch (error) {
      if (mine !== opened || !dialog.open) return;
      ctx.handleError(error, () =>
        replace(
          slot,
          h("p", { class: "panel panel-error" }, error.message),
          h("footer", { class: "dialog-actions" }, closeButton("Close")),
        ),
      );
      return;
    }
    if (mine !== opened || !dialog.open) return;

    // One key per dialog: a double click or a retried request finds the run the first click started.
    const idempotencyKey = newIdempotencyKey();
    const { field, area } = reasonField({
      testid: "run-reason",
      labelText: "Why run it now?",
      hint: "Recorded with the run, e.g. “SMTP credentials fixed; re-sending today's step”.",
      required: true,
    });
    const submit = h(
      "button",
      { type: "submit", class: "button button-primary", testid: "run-submit", disabled: true },
      "Start run",
    );
    const errors = errorSlot();
    area.addEventListener("input", () => {
      submit.disabled = !area.value.trim();
    });
    const form = h(
      "form",
      { class: "dialog-form" },
      lateSection(job),
      lastProblemSection(job),
      job.last_problem_run || job.last_failure_run
        ? h(
            "p",
            { class: "note", testid: "run-read-first" },
            h("strong", null, "Read the error before re-running."),
            " If its cause is not fixed, a new run will most likely fail the same way.",
          )
        : null,
      job.in_flight_run_id
        ? h(
            "p",
            { class: "notice notice-info" },
            "A run is already in flight: ",
            h(
              "a",
              { href: runHref(job.in_flight_run_id), onclick: close },
              `run ${shortId(job.in_flight_run_id)}`,
            ),
            ". Starting another will be refused.",
          )
        : null,
      job.paused
        ? h(
            "p",
            { class: "notice notice-muted" },
            "The schedule is paused. This starts one run now and leaves the schedule paused.",
          )
        : null,
      field,
      errors,
      h("footer", { class: "dialog-actions" }, closeButton(), submit),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = area.value.trim();
      if (!reason || submit.disabled) return;
      submit.disabled = true;
      submit.textContent = "Starting…";
      try {
        const accepted = await ctx.api(`/jobs/${encodeURIComponent(jobName)}/runs`, {
          method: "POST",
          body: { reason },
          headers: { "Idempotency-Key": idempotencyKey },
        });
        follow(title, accepted.run);
      } catch (error) {
        submit.textContent = "Start run";
        submit.disabled = false;
        if (error.status === 409 && error.body.run_id) {
          inFlight(errors, title, error.body.run_id);
        } else {
          ctx.handleError(error, () => showError(errors, error));
        }
      }
    });
    replace(slot, form);
    area.focus();
  }

  function inFlight(slot, title, runId) {
    replace(
      slot,
      h(
        "div",
        { class: "panel panel-warn", testid: "run-in-flight" },
        h(
          "p",
          null,
          h("strong", null, "A run is already in flight."),
          " One run of a job at a time: nothing new was started.",
        ),
        h(
          "p",
          { class: "inline-list" },
          h(
            "a",
            { href: runHref(runId), onclick: close, testid: "run-in-flight-link" },
            `Open run ${shortId(runId)}`,
          ),
          h(
            "button",
            {
              type: "button",
              class: "link-button",
              onclick: async () => {
                try {
                  follow(title, await ctx.api(`/runs/${encodeURIComponent(runId)}`));
                } catch (error) {
                  ctx.handleError(error, () => showError(slot, error));
                }
              },
            },
            "Follow it here",
          ),
        ),
      ),
    );
  }

  const STEPS = [
    ["QUEUED", "Queued"],
    ["RUNNING", "Running"],
    ["FINAL", "Finished"],
  ];

  function stepsNode(status) {
    const index = FINAL_STATUSES.has(status) ? 2 : status === "RUNNING" ? 1 : 0;
    return h(
      "ol",
      { class: "steps", "aria-label": "Progress" },
      STEPS.map(([key, text], position) =>
        h(
          "li",
          {
            class:
              position < index
                ? "done"
                : position === index
                  ? `current tone-${(RUN_STATUS[status] || {}).tone}`
                  : "",
            "aria-current": position === index ? "step" : null,
            dataset: { step: key },
          },
          position === 2 && index === 2 ? label(status) : text,
        ),
      ),
    );
  }

  function follow(title, run) {
    const live = h("div", { class: "follow-live" });
    const heading = h("h2", { id: "dialog-title" });
    const started = Date.now();
    let timer = null;
    let stopped = false;
    let lastError = null;
    let current = run;

    function render() {
      const final = FINAL_STATUSES.has(current.status);
      heading.textContent = final ? `${title}: run finished` : `${title}: run in progress`;
      replace(
        live,
        stepsNode(current.status),
        h(
          "p",
          { class: "inline-list" },
          statusBadge(current.status, "run-live-status"),
          h(
            "a",
            { href: runHref(current.run_id), class: "mono", title: current.run_id, onclick: close },
            `run ${shortId(current.run_id)}`,
          ),
          h(
            "span",
            { class: "muted" },
            final
              ? `took ${durationText(current.duration_ms)}`
              : `watching for ${durationText(Date.now() - started)}`,
          ),
        ),
        current.counts ? countsList(current.counts) : null,
        final
          ? [
              outcomeBanner(current, "run-outcome"),
              current.error && current.error.where
                ? h(
                    "p",
                    { class: "small" },
                    h("span", { class: "muted" }, "Where: "),
                    h("code", { class: "wrap" }, current.error.where),
                  )
                : null,
              h(
                "footer",
                { class: "dialog-actions" },
                closeButton("Close"),
                logsLink(current, "run-outcome-logs"),
                h(
                  "a",
                  {
                    class: "button",
                    href: runHref(current.run_id),
                    onclick: close,
                    testid: "run-outcome-detail",
                  },
                  "Open run details",
                ),
              ),
            ]
          : [
              h(
                "p",
                { class: "muted small" },
                lastError
                  ? `Lost contact (${lastError.message}); still trying every 2 s…`
                  : "Checking every 2 s. You can close this; the run carries on.",
              ),
              current.cancel
                ? h(
                    "p",
                    { class: "notice notice-warn", testid: "run-follow-cancel-requested" },
                    `Cancel requested by ${current.cancel.by}: the run stops at its next checkpoint.`,
                  )
                : null,
              h("footer", { class: "dialog-actions" }, closeButton("Close"), current.cancel ? null : cancelButton()),
            ],
      );
    }

    function cancelButton() {
      return h(
        "button",
        {
          type: "button",
          class: "button button-danger",
          testid: "run-follow-cancel",
          onclick: () => {
            // The cancel dialog takes this dialog's place; following resumes once the cancel is recorded.
            stopped = true;
            clearTimeout(timer);
            openCancelDialog(ctx, current, (run) => follow(title, run), { keepOpen: true });
          },
        },
        "Cancel run…",
      );
    }

    async function poll() {
      if (stopped) return;
      try {
        current = await ctx.api(`/runs/${encodeURIComponent(current.run_id)}`);
        lastError = null;
      } catch (error) {
        lastError = error;
        ctx.handleError(error, () => {});
      }
      if (stopped) return;
      render();
      if (FINAL_STATUSES.has(current.status)) {
        ctx.changed();
      } else {
        timer = setTimeout(poll, FOLLOW_MS);
      }
    }

    open(
      h(
        "div",
        { class: "dialog-body", testid: "run-follow" },
        heading,
        h(
          "p",
          { class: "muted" },
          "Confirm success rather than assuming: this follows the run until it finishes.",
        ),
        live,
      ),
      () => {
        stopped = true;
        clearTimeout(timer);
        ctx.changed();
      },
    );
    render();
    if (FINAL_STATUSES.has(current.status)) ctx.changed();
    else timer = setTimeout(poll, FOLLOW_MS);
  }

  // ---- Pause / resume ------------------------------------------------------------------------

  function scheduleChange(job, pausing) {
    const title = job.title || job.job;
    const { field, area } = reasonField({
      testid: pausing ? "pause-reason" : "resume-reason",
      labelText: pausing ? "Why pause it?" : "Why resume it?",
      hint: pausing
        ? "Shown on the job's status to everyone, with your name."
        : "Optional; recorded with your name.",
      required: pausing,
    });
    const submit = h(
      "button",
      {
        type: "submit",
        class: `button ${pausing ? "button-danger" : "button-primary"}`,
        testid: pausing ? "pause-submit" : "resume-submit",
        disabled: pausing,
      },
      pausing ? "Pause schedule" : "Resume schedule",
    );
    const errors = errorSlot();
    if (pausing) {
      area.addEventListener("input", () => {
        submit.disabled = !area.value.trim();
      });
    }
    const paused = job.paused || {};
    const form = h(
      "form",
      { class: "dialog-body dialog-form" },
      h("h2", { id: "dialog-title" }, pausing ? `Pause ${title}` : `Resume ${title}`),
      pausing
        ? h(
            "p",
            null,
            "Pausing switches the schedule off: no scheduled runs until it is resumed, and status shows PAUSED with your name and reason. Run now still works.",
          )
        : [
            h(
              "p",
              { class: "notice notice-muted" },
              "Paused",
              paused.by ? ` by ${paused.by}` : "",
              paused.reason ? h("span", { class: "quote" }, `“${paused.reason}”`) : "",
            ),
            h(
              "p",
              null,
              "Resuming switches the schedule back on. The next run is at its next scheduled time; ticks missed while paused are not run — use Run now if one is needed.",
            ),
          ],
      field,
      errors,
      h("footer", { class: "dialog-actions" }, closeButton(), submit),
    );
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const reason = area.value.trim();
      if (pausing && !reason) return;
      submit.disabled = true;
      try {
        await ctx.api(`/jobs/${encodeURIComponent(job.job)}/${pausing ? "pause" : "resume"}`, {
          method: "POST",
          body: reason ? { reason } : {},
        });
        close();
        ctx.changed();
      } catch (error) {
        submit.disabled = false;
        ctx.handleError(error, () => showError(errors, error));
      }
    });
    open(form);
  }

  // The building blocks, for the dialogs of other views (recovery.js): one dialog element, one owner.
  ctx.dialogs = { open, close, closeButton, reasonField, errorSlot, showError, follow };

  return {
    runNow,
    pause: (job) => scheduleChange(job, true),
    resume: (job) => scheduleChange(job, false),
    close,
  };
}
