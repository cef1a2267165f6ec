/**
 * Text that was typed before this screen showed the closed session and saved after closing:
 * the closed notice says in which fields it was stored (and that it went into the advice).
 */

import { fill, msg } from "./dom.js";

const fields = [];
let carriedOn = false;

/** A save came in after the session closed: say where the text went. */
export function noteSavedAfterClose(label, intoAdvice) {
  if (label && !fields.includes(label)) fields.push(label);
  carriedOn = carriedOn || intoAdvice;
  let text = fill(msg("late-note"), { fields: fields.join(", ") });
  if (carriedOn) text += " " + msg("late-note-advice");
  for (const note of document.querySelectorAll("[data-late-note]")) {
    note.textContent = text;
    note.hidden = false;
  }
}
