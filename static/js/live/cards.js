/**
 * One save indicator per card ([data-save-card]: a group of fields the moderator fills as one,
 * such as an action point with its text, owner and term). The status lines of the fields stay
 * (they describe each field, aria-describedby) but are hidden in a card; the card's indicator
 * [data-card-status] sums their states up:
 *
 *   nothing saved yet on this screen   empty
 *   every field saved                  "Opgeslagen 14:32" (the newest save in the card)
 *   typed, not yet saved               the same text, marked as pending (visual only)
 *   a save under way for over 2 s      "Bezig met opslaan…"
 *   a field waits, refused, conflict   which fields, why, what to do, and a retry button
 *
 * The indicator is a polite live region whose text only changes when that sum changes: typing
 * and saving every few seconds announces at most the new minute, a failure once, with its
 * detail. The fields' states are by key (fields.js), so an htmx swap of a card loses nothing:
 * the new card is summed up again from the same states.
 */

import { byData, fill, msg } from "./dom.js";
import { State, allFields, getField, onStateChange, onStatusChange } from "./fields.js";

const SLOW_MS = 2000; // a save taking longer than this is named ("Bezig met opslaan…")

const FAILING = new Set([State.WAITING, State.REFUSED, State.CONFLICT]);
const PENDING = new Set([State.CHANGED, State.SAVING]);

let slowTimer = null;

/** The keys of the fields in a card, in the order they appear. */
function keysIn(card) {
  const keys = [];
  for (const el of card.querySelectorAll("[data-status-for]")) {
    const key = el.dataset.statusFor;
    if (key && !keys.includes(key)) keys.push(key);
  }
  return keys;
}

/** What a person calls the field: its label, or data-label on a choice. */
function nameOf(card, key) {
  const el = byData("[data-field]", "field", key).find((e) => card.contains(e));
  if (!el) return "";
  if (el.dataset.label) return el.dataset.label;
  const label = el.id ? card.querySelector(`label[for="${el.id}"]`) : null;
  return label ? label.textContent.trim() : "";
}

/** The status line's own words for a field (a refusal's message, …), without its button. */
function statusText(card, key) {
  const el = byData("[data-status-for]", "statusFor", key).find((e) => card.contains(e));
  if (!el) return "";
  return Array.from(el.childNodes).filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
}

/** What went wrong with one field and what the person can do about it. */
function detailOf(card, f) {
  if (f.state === State.CONFLICT) return msg("conflict");
  if (f.state === State.REFUSED) return [f.reason || statusText(card, f.key), msg("card-todo-refused")].filter(Boolean).join(" ");
  if (f.reason === "login") return msg("card-todo-login");
  if (f.reason === "csrf") return [statusText(card, f.key), msg("card-todo-login")].filter(Boolean).join(" ");
  if (navigator.onLine === false) return msg("offline");
  return msg("card-todo-network");
}

/** The sum of a card: {state, text, retry: [keys]}. */
function summarise(card, now) {
  const fields = keysIn(card).map(getField).filter(Boolean);
  const failing = fields.filter((f) => FAILING.has(f.state));
  if (failing.length) {
    const names = failing.map((f) => nameOf(card, f.key)).filter(Boolean);
    const details = [];
    for (const f of failing) {
      const detail = detailOf(card, f);
      if (detail && !details.includes(detail)) details.push(detail);
    }
    const offline = failing.every((f) => f.state === State.WAITING && f.reason === "network") && navigator.onLine === false;
    return {
      state: offline ? "offline" : "error",
      text: [fill(msg("card-failed"), { fields: names.join(", ") }), ...details].join(" "),
      retry: failing.filter((f) => f.state !== State.CONFLICT).map((f) => f.key),
    };
  }
  const saved = fields.filter((f) => f.savedAt);
  const newest = saved.reduce((a, f) => (!a || f.lastSettled >= a.lastSettled ? f : a), null);
  const savedText = newest ? fill(msg(newest.savedAfterClose ? "saved-after-close" : "saved"), { time: newest.savedAt }) : "";
  const pending = fields.filter((f) => PENDING.has(f.state));
  if (pending.length) {
    const slow = pending.some((f) => f.state === State.SAVING && f.savingSince && now - f.savingSince >= SLOW_MS);
    return { state: "pending", text: slow ? msg("saving") : savedText, retry: [] };
  }
  return { state: newest ? "saved" : "", text: savedText, retry: [] };
}

function render(card, now) {
  const out = card.querySelector("[data-card-status]");
  if (!out) return;
  const sum = summarise(card, now);
  if (sum.state) out.dataset.state = sum.state;
  else delete out.dataset.state;
  const retry = sum.retry.join(" ");
  // Only touch the live region when its words change: no announcement for the same text.
  if (out.dataset.text === sum.text && (out.dataset.retry || "") === retry) return;
  out.dataset.text = sum.text;
  out.dataset.retry = retry;
  const nodes = [];
  if (sum.text) nodes.push(document.createTextNode(sum.text));
  if (retry && msg("retry")) {
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.cardRetry = retry;
    button.textContent = msg("retry");
    nodes.push(document.createTextNode(" "), button);
  }
  out.replaceChildren(...nodes);
}

/** Sum up every card within `root` (the page, or what htmx just put in). */
export function renderCards(root) {
  const now = Date.now();
  const scope = root && root.nodeType === 1 ? root : document;
  const cards = Array.from(scope.querySelectorAll("[data-save-card]"));
  if (scope.matches && scope.matches("[data-save-card]")) cards.push(scope);
  cards.forEach((card) => render(card, now));
}

function scheduleSlowCheck() {
  if (slowTimer) return;
  slowTimer = setTimeout(() => {
    slowTimer = null;
    renderCards(document);
    // A save that started later than the first one is looked at again in its turn.
    if (allFields().some((f) => f.state === State.SAVING)) scheduleSlowCheck();
  }, SLOW_MS / 2);
}

export function startCards() {
  onStateChange((f) => {
    f.savingSince = f.state === State.SAVING ? Date.now() : 0;
    if (f.state === State.SAVING) scheduleSlowCheck();
    renderCards(document);
  });
  onStatusChange(() => renderCards(document));
  renderCards(document);
}
