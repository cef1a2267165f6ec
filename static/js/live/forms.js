/**
 * Forms marked data-flush-first (closing the session, finalizing the advice) are sent only once
 * every typed text is on the server; otherwise the result would miss the last sentence. Plain
 * forms and htmx forms (htmx:confirm) alike.
 */

import { setBanner } from "./banners.js";
import { msg } from "./dom.js";
import { unsavedCount } from "./fields.js";
import { flushWithin } from "./saving.js";

const WAIT_MS = 10000;

function whenSaved(send) {
  flushWithin(WAIT_MS).then(() => {
    if (unsavedCount() === 0) send();
    else setBanner("network", msg("unsaved"));
  });
}

export function startFlushFirstForms() {
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-flush-first")) return;
    if (form.hasAttribute("hx-post") || form.dataset.flushed === "1" || unsavedCount() === 0) return;
    event.preventDefault();
    whenSaved(() => {
      form.dataset.flushed = "1";
      form.requestSubmit(event.submitter || undefined);
    });
  });
  document.addEventListener("htmx:confirm", (event) => {
    const elt = event.detail && event.detail.elt;
    if (!elt || !elt.closest || !elt.closest("[data-flush-first]") || unsavedCount() === 0) return;
    event.preventDefault();
    whenSaved(() => event.detail.issueRequest(true));
  });
}
