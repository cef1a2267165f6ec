/**
 * The factor clocks: elapsed time (mm:ss), over-time marking and the phase (questions, scoring,
 * over), ticking every second from the server's start time, corrected for the difference
 * between the server's clock and this one.
 */

import { msg, now } from "./dom.js";

let skew = 0; // server clock minus ours, ms

/** A sync answer's Date header, to run the clocks on the server's time. */
export function noteServerClock(dateHeader, started) {
  if (!dateHeader) return;
  const server = Date.parse(dateHeader);
  if (!Number.isFinite(server)) return;
  // The header is truncated to the second: take the middle of that second and of the request.
  const measured = server + 500 - (started + now()) / 2;
  const next = Math.abs(measured) > 2000 ? measured : 0;
  if (Math.abs(next - skew) > 1500) skew = next;
}

function formatElapsed(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const m = Math.floor(s / 60);
  const r = s % 60;
  return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
}

/** ISO timestamp -> ms; Django writes microseconds, which not every engine parses. */
function parseTime(iso) {
  if (!iso) return NaN;
  return Date.parse(String(iso).trim().replace(/(\.\d{3})\d+/, "$1"));
}

function optionalNumber(raw) {
  return raw !== undefined && raw !== "" ? Number(raw) : NaN;
}

function elapsedOf(el) {
  const start = parseTime(el.dataset.timerStart);
  const running = Number.isFinite(start) ? Math.max(0, (now() + skew - start) / 1000) : 0;
  return (Number(el.dataset.timerBase) || 0) + running;
}

function setText(el, text) {
  const slot = el.querySelector("[data-timer-value]") || el;
  if (slot.textContent !== text) slot.textContent = text;
}

function tick() {
  for (const el of document.querySelectorAll("[data-timer-start]")) {
    const started = Number.isFinite(parseTime(el.dataset.timerStart));
    const elapsed = elapsedOf(el);
    setText(el, formatElapsed(elapsed));
    const budget = optionalNumber(el.dataset.timerBudget);
    const questions = optionalNumber(el.dataset.timerQuestions);
    if (Number.isFinite(budget)) {
      if (elapsed > budget) el.dataset.over = "true";
      else delete el.dataset.over;
    }
    const phaseEl =
      el.querySelector("[data-timer-phase]") ||
      (el.parentElement && el.parentElement.querySelector("[data-timer-phase]"));
    // A clock that stands still keeps the page's own hint.
    if (!phaseEl || !(started || Number(el.dataset.timerBase) > 0)) continue;
    if (!Number.isFinite(budget) && !Number.isFinite(questions)) continue;
    let phase;
    if (Number.isFinite(questions) && elapsed <= questions) phase = "questions";
    else if (!Number.isFinite(budget) || elapsed <= budget) phase = "scoring";
    else phase = "over";
    const text = msg("phase-" + phase);
    if (phaseEl.dataset.phase !== phase) phaseEl.dataset.phase = phase;
    if (phaseEl.textContent !== text) phaseEl.textContent = text;
  }
}

/** Stop every running clock where it is (the session closed; the server stopped it too). */
export function stopClocks() {
  for (const el of document.querySelectorAll("[data-timer-start]")) {
    if (!el.dataset.timerStart) continue;
    el.dataset.timerBase = String(Math.floor(elapsedOf(el)));
    el.dataset.timerStart = "";
  }
  tick();
}

export function startClocks() {
  tick();
  setInterval(tick, 1000);
}
