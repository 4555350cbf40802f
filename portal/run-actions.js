// What an admin can do to one run from its page: cancel it while it is in flight, and release its
// unconfirmed emails. Each asks for a reason, shows what it will act on first, and says what happened.
import { h, replace } from "./dom.js";
import { label, plural, shortId, timeNode } from "./format.js";

const IN_FLIGHT = new Set(["QUEUED", "RUNNING"]);

// The dialog helpers are run now's (`ctx.dialogs`, portal/dialogs.js): one dialog, one way to ask why.

function errorLine(run) {
  if (!run.error) return null;
  return h(
    "section",
    { class: "last-failure panel-error", testid: "run-action-error" },
    h("h3", null, "This run's error"),
    h("p", null, h("strong", null, `${run.error.type}: `), run.error.message),
  );
}

// ---- Cancel ------------------------------------------------------------------------------------

// `keepOpen`: the caller shows its own next step in the same dialog (run-now's follow view).
export function openCancelDialog(ctx, run, done, { keepOpen = false } = {}) {
  const d = ctx.dialogs;
  const { field, area } = d.reasonField({
    testid: "cancel-reason",
    labelText: "Why cancel it?",
    hint: "Shown on the run and in the job's activity, with your name.",
    required: true,
  });
  const submit = h(
    "button",
    { type: "submit", class: "button button-danger", testid: "cancel-submit", disabled: true },
    "Cancel run",
  );
  const errors = d.errorSlot();
  area.addEventListener("input", () => {
    submit.disabled = !area.value.trim();
  });
  const counts = run.counts || {};
  const form = h(
    "form",
    { class: "dialog-body dialog-form", testid: "cancel-dialog" },
    h("h2", { id: "dialog-title" }, `Cancel run ${shortId(run.run_id)}`),
    errorLine(run),
    h(
      "p",
      null,
      `The run is ${label(run.status)}`,
      run.status === "RUNNING" ? ` and has processed ${plural(counts.processed || 0, "item")} so far.` : ".",
    ),
    h(
      "p",
      null,
      "It stops at its next checkpoint — before its next page, or within 25 items or 10 seconds — and ends " +
        "CANCELLED with what it did recorded. Items it did not reach are picked up by the job's next run. " +
        "A queued run stops as soon as it is picked up.",
    ),
    field,
    errors,
    h("footer", { class: "dialog-actions" }, d.closeButton("Keep it running"), submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = area.value.trim();
    if (!reason || submit.disabled) return;
    submit.disabled = true;
    try {
      const accepted = await ctx.api(`/runs/${encodeURIComponent(run.run_id)}/cancel`, {
        method: "POST",
        body: { reason },
      });
      if (!keepOpen) d.close();
      done(accepted.run);
    } catch (error) {
      submit.disabled = false;
      ctx.handleError(error, () => d.showError(errors, error));
    }
  });
  // Closed without cancelling from run now's follow view, the page behind is refreshed as that view's own
  // close would have done.
  d.open(form, keepOpen ? () => ctx.changed() : null);
}

// While the run is in flight: the button, or — once asked — who asked and that it is on its way.
export function cancelControl(ctx, run, done) {
  if (!IN_FLIGHT.has(run.status)) return null;
  if (run.cancel) {
    return h(
      "p",
      { class: "notice notice-warn", testid: "run-cancel-requested", role: "status" },
      h("strong", null, `Cancel requested by ${run.cancel.by}`),
      " ",
      timeNode(run.cancel.at, { precise: true }),
      h("span", { class: "quote" }, ` “${run.cancel.reason}”`),
      ". The run stops at its next checkpoint.",
    );
  }
  return h(
    "button",
    {
      type: "button",
      class: "button button-danger",
      testid: "run-cancel",
      onclick: () => openCancelDialog(ctx, run, done),
    },
    "Cancel run…",
  );
}

// ---- Release unconfirmed ------------------------------------------------------------------------

function releaseResult(result, d) {
  return h(
    "div",
    { class: "dialog-slot", testid: "release-result", role: "status" },
    h(
      "p",
      null,
      h("strong", null, `Released ${result.released.length}`),
      result.not_released.length ? `, not released ${result.not_released.length}.` : ".",
    ),
    result.released.length
      ? h(
          "div",
          { class: "small" },
          h("p", null, "The next run of the job sends each released email once."),
          h("ul", { class: "claim-list", testid: "release-released" }, result.released.map((key) => h("li", null, h("code", null, key)))),
        )
      : null,
    result.not_released.length
      ? h(
          "ul",
          { class: "claim-list", testid: "release-not-released" },
          result.not_released.map((entry) => h("li", null, h("code", null, entry.key), h("span", { class: "muted" }, entry.reason))),
        )
      : null,
    h("footer", { class: "dialog-actions" }, d.closeButton("Close")),
  );
}

export function openReleaseDialog(ctx, run) {
  const claims = run.unconfirmed || [];
  const boxes = claims.map((entry, index) =>
    h("input", { type: "checkbox", id: `release-claim-${index}`, checked: true, value: entry.claim }),
  );
  const d = ctx.dialogs;
  const { field, area } = d.reasonField({
    testid: "release-reason",
    labelText: "Why release them?",
    hint: "E.g. “checked SES sending statistics: not sent”. Recorded with your name.",
    required: true,
  });
  const submit = h(
    "button",
    { type: "submit", class: "button button-primary", testid: "release-submit", disabled: true },
    "Release",
  );
  const errors = d.errorSlot();
  const refreshSubmit = () => {
    submit.disabled = !area.value.trim() || !boxes.some((box) => box.checked);
  };
  area.addEventListener("input", refreshSubmit);
  boxes.forEach((box) => box.addEventListener("change", refreshSubmit));
  const slot = h("div", { class: "dialog-slot" });
  const form = h(
    "form",
    { class: "dialog-form" },
    errorLine(run),
    h(
      "p",
      null,
      "An email is ",
      h("strong", null, "unconfirmed"),
      " when the run asked SES to send it but never learned the answer: it may or may not have been delivered. " +
        "It is never sent again by itself. Check first (SES sending statistics, the recipient); releasing lets " +
        "the job's next run send it once.",
    ),
    h(
      "fieldset",
      { class: "field" },
      h("legend", { class: "field-label" }, `Emails to release (${claims.length})`),
      h(
        "ul",
        { class: "claim-list", testid: "release-claims" },
        claims.map((entry, index) =>
          h(
            "li",
            null,
            boxes[index],
            h(
              "label",
              { for: `release-claim-${index}` },
              h("code", null, entry.item),
              h("span", { class: "muted small block" }, entry.reason),
            ),
          ),
        ),
      ),
    ),
    field,
    errors,
    h("footer", { class: "dialog-actions" }, d.closeButton("Cancel"), submit),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const reason = area.value.trim();
    const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
    if (!reason || !chosen.length || submit.disabled) return;
    submit.disabled = true;
    try {
      const result = await ctx.api(`/runs/${encodeURIComponent(run.run_id)}/unconfirmed/release`, {
        method: "POST",
        body: { reason, claims: chosen },
      });
      replace(slot, releaseResult(result, d));
      if (ctx.showRun) ctx.showRun(result.run);
      else ctx.changed();
    } catch (error) {
      submit.disabled = false;
      ctx.handleError(error, () => d.showError(errors, error));
    }
  });
  replace(slot, form);
  d.open(
    h(
      "div",
      { class: "dialog-body", testid: "release-dialog" },
      h("h2", { id: "dialog-title" }, `Release unconfirmed emails of run ${shortId(run.run_id)}`),
      slot,
    ),
  );
  area.focus();
}

// The run's unconfirmed emails, who released which already, and the way to release them.
export function unconfirmedPanel(ctx, run) {
  const claims = run.unconfirmed || [];
  if (!claims.length) return null;
  return h(
    "section",
    { class: "panel panel-warn", testid: "run-unconfirmed" },
    h("h2", null, `Unconfirmed emails (${claims.length})`),
    h(
      "p",
      { class: "muted small" },
      "Each may or may not have been delivered; none is sent again until an admin releases it.",
    ),
    h(
      "ul",
      { class: "claim-list" },
      claims.map((entry) => h("li", null, h("code", null, entry.item), h("span", { class: "muted small" }, entry.reason))),
    ),
    (run.releases || []).length
      ? h(
          "ul",
          { class: "claim-list small", testid: "run-releases" },
          run.releases.map((release) =>
            h(
              "li",
              null,
              `Released ${plural(release.claims.length, "email")} by ${release.by} `,
              timeNode(release.at, { precise: true }),
              h("span", { class: "quote" }, ` “${release.reason}”`),
            ),
          ),
        )
      : null,
    h(
      "p",
      { class: "run-actions" },
      h(
        "button",
        { type: "button", class: "button", testid: "release-unconfirmed", onclick: () => openReleaseDialog(ctx, run) },
        "Release unconfirmed emails…",
      ),
    ),
  );
}
