// What an admin can do to one run from its page: cancel it while it is in flight, and release its
// unconfirmed emails. Each asks for a reason, shows what it will act on first, and says what happened.
import { h, replace } from "./dom.js";
import { label, plural, shortId, timeNode } from "./format.js";

const MAX_REASON = 500;
const IN_FLIGHT = new Set(["QUEUED", "RUNNING"]);

function dialogElement() {
  return document.getElementById("dialog");
}

function openDialog(content) {
  const dialog = dialogElement();
  replace(dialog, content);
  if (!dialog.open) dialog.showModal();
  const first = dialog.querySelector("textarea");
  if (first) first.focus();
}

function closeDialog() {
  const dialog = dialogElement();
  if (dialog.open) dialog.close();
}

function closeButton(text = "Close") {
  return h(
    "button",
    { type: "button", class: "button button-quiet", testid: "dialog-close", onclick: closeDialog },
    text,
  );
}

function reasonField(testid, labelText, hint) {
  const area = h("textarea", { id: testid, name: "reason", rows: 3, maxlength: MAX_REASON, testid, required: true });
  const counter = h("span", { class: "counter" }, `0 / ${MAX_REASON}`);
  area.addEventListener("input", () => {
    counter.textContent = `${area.value.length} / ${MAX_REASON}`;
  });
  const field = h(
    "div",
    { class: "field field-block" },
    h("label", { class: "field-label", for: testid }, labelText, h("span", { class: "required" }, " (required)")),
    area,
    h("p", { class: "field-hint" }, h("span", null, hint), counter),
  );
  return { field, area };
}

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
  const { field, area } = reasonField(
    "cancel-reason",
    "Why cancel it?",
    "Shown on the run and in the job's activity, with your name.",
  );
  const submit = h(
    "button",
    { type: "submit", class: "button button-danger", testid: "cancel-submit", disabled: true },
    "Cancel run",
  );
  const errors = h("div", { class: "dialog-error", role: "alert" });
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
    h("footer", { class: "dialog-actions" }, closeButton("Keep it running"), submit),
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
      if (!keepOpen) closeDialog();
      done(accepted.run);
    } catch (error) {
      submit.disabled = false;
      ctx.handleError(error, () => replace(errors, h("p", { class: "panel panel-error small" }, error.message)));
    }
  });
  openDialog(form);
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

function releaseResult(result) {
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
    h("footer", { class: "dialog-actions" }, closeButton("Close")),
  );
}

export function openReleaseDialog(ctx, run) {
  const claims = run.unconfirmed || [];
  const boxes = claims.map((entry, index) =>
    h("input", { type: "checkbox", id: `release-claim-${index}`, checked: true, value: entry.claim }),
  );
  const { field, area } = reasonField(
    "release-reason",
    "Why release them?",
    "E.g. “checked SES sending statistics: not sent”. Recorded with your name.",
  );
  const submit = h(
    "button",
    { type: "submit", class: "button button-primary", testid: "release-submit", disabled: true },
    "Release",
  );
  const errors = h("div", { class: "dialog-error", role: "alert" });
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
    h("footer", { class: "dialog-actions" }, closeButton("Cancel"), submit),
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
      replace(slot, releaseResult(result));
      if (ctx.showRun) ctx.showRun(result.run);
      else ctx.changed();
    } catch (error) {
      submit.disabled = false;
      ctx.handleError(error, () => replace(errors, h("p", { class: "panel panel-error small" }, error.message)));
    }
  });
  replace(slot, form);
  openDialog(
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
