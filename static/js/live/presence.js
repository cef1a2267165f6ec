/**
 * Tells the server whether this screen holds text that is not saved yet, so that closing the
 * session can wait for it (docs/live-protocol.md, "Unsaved text"): at once when the first
 * unsaved text appears, every HEARTBEAT_MS while there is some, and once more when all is
 * saved. A screen with nothing unsaved sends nothing.
 */

import { csrfToken, mainEl } from "./dom.js";
import { onStateChange, unsavedCount } from "./fields.js";
import { jsonHeaders, request } from "./net.js";

const HEARTBEAT_MS = 2000;
const screen = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b.toString(16).padStart(2, "0")).join("");

let reported = 0;
let heartbeat = null;

function report(count) {
  const main = mainEl();
  if (!main || !main.dataset.unsavedUrl) return;
  reported = count;
  clearTimeout(heartbeat);
  heartbeat = count ? setTimeout(() => report(unsavedCount()), HEARTBEAT_MS) : null;
  const body = new URLSearchParams({ screen: screen, fields: String(count) });
  request(main.dataset.unsavedUrl, { method: "POST", headers: jsonHeaders(csrfToken()), body: body });
}

export function startReporting() {
  onStateChange(() => {
    const count = unsavedCount();
    if ((count > 0) !== (reported > 0)) report(count);
  });
}
