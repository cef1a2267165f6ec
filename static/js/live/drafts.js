/**
 * Local drafts: every keystroke is kept in this browser until the server confirms that exact
 * text. localStorage["actiescan:draft:<session>:<field>"] = {value, version, rev, ts}; `rev` is
 * the newest session revision the screen had seen when the text was typed (a draft typed
 * before the screen showed "closed" is still stored after closing).
 */

import { now } from "./dom.js";

const PREFIX = "actiescan:draft:";
const MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
const memory = new Map(); // when localStorage is unavailable or full

function storageKey(session, key) {
  return PREFIX + session + ":" + key;
}

function get(k) {
  try {
    const v = window.localStorage.getItem(k);
    if (v !== null) return v;
  } catch (e) {
    /* fall through to memory */
  }
  return memory.has(k) ? memory.get(k) : null;
}

function set(k, v) {
  try {
    window.localStorage.setItem(k, v);
    memory.delete(k);
  } catch (e) {
    memory.set(k, v);
  }
}

function remove(k) {
  memory.delete(k);
  try {
    window.localStorage.removeItem(k);
  } catch (e) {
    /* nothing to remove */
  }
}

function parse(raw) {
  if (!raw) return null;
  try {
    const d = JSON.parse(raw);
    return d && typeof d.value === "string" && typeof d.ts === "number" ? d : null;
  } catch (e) {
    return null;
  }
}

export function readDraft(session, key) {
  const k = storageKey(session, key);
  const d = parse(get(k));
  if (!d || now() - d.ts > MAX_AGE_MS) {
    if (get(k) !== null) remove(k);
    return null;
  }
  return d;
}

export function writeDraft(session, key, value, version, rev) {
  const v = String(version ?? "");
  set(storageKey(session, key), JSON.stringify({
    value: value,
    version: /^\d+$/.test(v) ? Number(v) : v,
    rev: String(rev ?? ""),
    ts: now(),
  }));
}

export function removeDraft(session, key) {
  remove(storageKey(session, key));
}

export function purgeOldDrafts() {
  let keys = [];
  try {
    const ls = window.localStorage;
    for (let i = 0; i < ls.length; i++) {
      const k = ls.key(i);
      if (k && k.indexOf(PREFIX) === 0) keys.push(k);
    }
  } catch (e) {
    keys = [];
  }
  for (const k of keys) {
    const d = parse(get(k));
    if (!d || now() - d.ts > MAX_AGE_MS) remove(k);
  }
}
