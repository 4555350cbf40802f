// After fixing the cause of a run's failures: retry its failed items now, or release them (parked ones
// included) for the job's next run. Run now's guard: the error and the failed items first, a reason
// required, then what was released and what was not, and why.
import { newIdempotencyKey } from "./api.js";
import { h, replace, runHref } from "./dom.js";
import { plural, shortId } from "./format.js";
import { errorSummary, reasonsList } from "./run-detail.js";

const RECOVERABLE = new Set(["FAILED", "PARTIAL", "TIMED_OUT"]);

// Both ways: on a retry run's page, which run it retries; on a retried run's page, the runs that retried it.
export function retryOfNotice(run) {
  const retries = run.retried_by || [];
  return [
    run.retry_of
      ? h(
          "p",
          { class: "notice notice-info", testid: "run-retry-of" },
          "Retry of the failed items of ",
          h("a", { href: runHref(run.retry_of), class: "mono" }, `run ${shortId(run.retry_of)}`),
          ".",
        )
      : null,
    retries.length
      ? h(
          "p",
          { class: "notice notice-info", testid: "run-retried-by" },
          "Its failed items were retried in ",
          retries.map((runId, index) => [
            index ? ", " : "",
            h("a", { href: runHref(runId), class: "mono" }, `run ${shortId(runId)}`),
          ]),
          ".",
        )
      : null,
  ];
}

// The two actions, on the page of a run that ended with failed items.
export function recoveryPanel(run, ctx) {
  const items = run.item_errors || [];
  if (!RECOVERABLE.has(run.status) || !items.length || !ctx || !ctx.dialogs) return null;
  return h(
    "section",
    { class: "panel recovery", testid: "recovery" },
    h("h2", null, "After fixing the cause"),
    h(
      "p",
      null,
      "Failed items are retried by the next runs up to the job's retry limit, then parked. Once the cause is fixed, bring them back in one action.",
    ),
    h(
      "p",
      { class: "inline-list" },
      h(
        "button",
        {
          type: "button",
          class: "button button-primary",
          testid: "recovery-retry",
          onclick: () => openRecovery(run, ctx, true),
        },
        "Retry failed items",
      ),
      h(
        "button",
        {
          type: "button",
          class: "button",
          testid: "recovery-release",
          onclick: () => openRecovery(run, ctx, false),
        },
        "Release parked items",
      ),
    ),
  );
}

function problemSection(run) {
  const listed = (run.item_errors || []).length;
  const failed = (run.counts && run.counts.failed) || listed;
  return h(
    "section",
    { class: "last-failure panel-error", testid: "recovery-problem" },
    h("h3", null, "The error first"),
    errorSummary(run, "recovery-error"),
    // A PARTIAL run's summary already lists its failures by cause.
    run.error ? reasonsList(run.failures_by_reason, "recovery-reasons") : null,
    failed > listed
      ? h(
          "p",
          { class: "small" },
          `The run lists the first ${listed} of ${failed} failed items: only those are released.`,
        )
      : null,
  );
}

function openRecovery(run, ctx, retrying) {
  const d = ctx.dialogs;
  const title = retrying ? `Retry the failed items of run ${shortId(run.run_id)}` : `Release the parked items of run ${shortId(run.run_id)}`;
  // One key per dialog: a double click or a repeated request finds the run the first one started.
  const idempotencyKey = newIdempotencyKey();
  const { field, area } = d.reasonField({
    testid: "recovery-reason",
    labelText: "What was fixed?",
    hint: "Recorded in the job's activity with your name, e.g. “sender verified in SES”.",
    required: true,
  });
  const submit = h(
    "button",
    { type: "submit", class: "button button-primary", testid: "recovery-submit", disabled: true },
    retrying ? "Retry now" : "Release",
  );
  area.addEventListener("input", () => {
    submit.disabled = !area.value.trim();
  });
  const errors = d.errorSlot();
  const form = h(
    "form",
    { class: "dialog-body dialog-form", testid: "recovery-dialog" },
    h("h2", { id: "dialog-title" }, title),
    problemSection(run),
    h(
      "p",
      { class: "note" },
      h("strong", null, "Fix the cause before this."),
      " If it is not fixed, the items fail the same way and are parked again.",
    ),
    h(
      "p",
      null,
      retrying
        ? "Each failed item goes back in the queue with all its attempts, then a run starts now."
        : "Each failed item goes back in the queue with all its attempts; the job's next scheduled run works on it.",
      " An item whose record changed since (re-imported, stopped, unsubscribed, bounced) is left as it is.",
    ),
    field,
    errors,
    h("footer", { class: "dialog-actions" }, d.closeButton(), submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = area.value.trim();
    if (!reason || submit.disabled) return;
    submit.disabled = true;
    try {
      const answer = await ctx.api(
        `/runs/${encodeURIComponent(run.run_id)}/${retrying ? "retry" : "parked/release"}`,
        {
          method: "POST",
          body: { reason },
          headers: retrying ? { "Idempotency-Key": idempotencyKey } : {},
        },
      );
      showOutcome(ctx, run, answer, retrying);
    } catch (error) {
      submit.disabled = false;
      ctx.handleError(error, () => d.showError(errors, inFlightError(error)));
    }
  });
  d.open(form);
}

function inFlightError(error) {
  if (error.status === 409 && error.code === "RUN_IN_FLIGHT") {
    const runId = error.body.run_id;
    return new Error(
      `A run of this job is in flight${runId ? ` (run ${shortId(runId)})` : ""}: nothing was released. Try again when it has finished.`,
    );
  }
  return error;
}

function showOutcome(ctx, run, answer, retrying) {
  const d = ctx.dialogs;
  const released = answer.released || [];
  const notReleased = answer.not_released || [];
  const newRun = retrying ? answer.run : null;
  d.open(
    h(
      "div",
      { class: "dialog-body", testid: "recovery-outcome" },
      h("h2", { id: "dialog-title" }, retrying ? "Retry started" : "Items released"),
      h(
        "p",
        { role: "status", testid: "recovery-summary" },
        answer.repeated
          ? "This retry was already requested: here is the run it started."
          : `${answer.summary.charAt(0).toUpperCase()}${answer.summary.slice(1)}.`,
      ),
      released.length
        ? h(
            "section",
            null,
            h("h3", null, `Released (${plural(released.length, "item")})`),
            h(
              "ul",
              { class: "reasons", testid: "recovery-released" },
              released.map((item) => h("li", null, h("code", { class: "wrap" }, item.key), " — ", item.detail)),
            ),
          )
        : null,
      notReleased.length
        ? h(
            "section",
            null,
            h("h3", null, `Not released (${plural(notReleased.length, "item")})`),
            h(
              "ul",
              { class: "reasons", testid: "recovery-not-released" },
              notReleased.map((item) =>
                h("li", null, h("code", { class: "wrap" }, item.key), " — ", item.reason),
              ),
            ),
          )
        : null,
      retrying
        ? null
        : h("p", { class: "muted" }, "The job's next run works on the released items; its page shows how they went."),
      h(
        "footer",
        { class: "dialog-actions" },
        d.closeButton("Close"),
        newRun
          ? h(
              "a",
              { class: "button button-primary", href: runHref(newRun.run_id), onclick: d.close, testid: "recovery-new-run" },
              `Open run ${shortId(newRun.run_id)}`,
            )
          : null,
      ),
    ),
    () => ctx.changed(),
  );
}
