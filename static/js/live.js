/*
 * Live editing for the Actiescan: autosave, local drafts, conflict panel, live sync, timer.
 *
 * Contract: docs/live-protocol.md. No dependencies; htmx 2 is used when present.
 * Works under a strict CSP: no eval, no inline handlers, no style attributes.
 * Every user-visible string comes from a data-msg-* attribute on <body>.
 */
(function () {
  "use strict";

  // --- Constants -------------------------------------------------------------------------------

  const DRAFT_PREFIX = "actiescan:draft:";
  const DRAFT_MAX_AGE_MS = 14 * 24 * 60 * 60 * 1000;
  const DEBOUNCE_MS = 800;
  const BACKOFF_S = [1, 2, 4, 8, 16, 30];
  const LOGIN_RETRY_MS = 15000;
  const REQUEST_TIMEOUT_MS = 30000;
  const SYNC_VISIBLE_MS = 2000;
  const SYNC_HIDDEN_MS = 10000;
  const CHOICE_GUARD_MS = 2000;
  const FOLLOW_TYPING_MS = 5000;
  const KEEPALIVE_MAX_BYTES = 60000;
  const BANNER_PRIORITY = ["forbidden", "csrf", "login", "network"];

  // --- Small helpers ---------------------------------------------------------------------------

  const now = () => Date.now();

  /** A translated message from <body data-msg-NAME>, "" when missing. */
  function msg(name) {
    const body = document.body;
    if (!body) return "";
    const prop = "msg" + name.split("-").map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join("");
    const value = body.dataset[prop];
    return typeof value === "string" ? value : "";
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (all, name) =>
      Object.prototype.hasOwnProperty.call(values, name) ? String(values[name] ?? "") : all
    );
  }

  /** Textareas give \n, the server stores \n; compare texts in one form. */
  function norm(text) {
    return String(text ?? "").replace(/\r\n?/g, "\n");
  }

  function mainEl() {
    return document.querySelector("main[data-live-session]");
  }

  function isText(el) {
    return !!(el && el.nodeType === 1 && el.matches('[data-autosave="text"]') && el.dataset.field);
  }

  function isChoice(el) {
    return !!(el && el.nodeType === 1 && el.matches('[data-autosave="choice"]') && el.dataset.field);
  }

  /** All elements whose data-* attribute `attr` equals key (no selector escaping needed). */
  function byData(selector, prop, key) {
    return Array.prototype.filter.call(
      document.querySelectorAll(selector),
      (el) => el.dataset[prop] === key
    );
  }

  function textEl(key) {
    return byData('[data-autosave="text"][data-field]', "field", key)[0] || null;
  }

  function choiceEls(key) {
    return byData('[data-autosave="choice"][data-field]', "field", key);
  }

  function sessionOf(el) {
    const own = el && el.closest("[data-live-session]");
    if (own) return own.dataset.liveSession || "";
    const main = mainEl();
    return main ? main.dataset.liveSession || "" : "";
  }

  function saveUrlOf(el) {
    const own = el && el.closest("[data-save-url]");
    if (own && own.dataset.saveUrl) return own.dataset.saveUrl;
    const main = mainEl();
    return main ? main.dataset.saveUrl || "" : "";
  }

  function versionNumber(v) {
    if (v === undefined || v === null || v === "") return -Infinity;
    const n = Number(v);
    return Number.isFinite(n) ? n : -Infinity;
  }

  function storedVersion(v) {
    if (v === undefined || v === null) return "";
    const s = String(v);
    return /^-?\d+$/.test(s) ? Number(s) : s;
  }

  function csrfToken() {
    const body = document.body;
    const name = (body && body.dataset.csrfCookieName) || "csrftoken";
    const cookies = document.cookie ? document.cookie.split(";") : [];
    for (const part of cookies) {
      const eq = part.indexOf("=");
      if (eq < 0) continue;
      if (part.slice(0, eq).trim() === name) {
        const value = part.slice(eq + 1).trim();
        try {
          if (value) return decodeURIComponent(value);
        } catch (e) {
          if (value) return value;
        }
      }
    }
    return (body && body.dataset.csrfToken) || "";
  }

  function isFocused(el) {
    return !!el && document.activeElement === el;
  }

  // --- Local drafts ----------------------------------------------------------------------------

  const memoryDrafts = new Map(); // fallback when localStorage is unavailable or full

  function draftKey(session, key) {
    return DRAFT_PREFIX + session + ":" + key;
  }

  function storageGet(k) {
    try {
      const v = window.localStorage.getItem(k);
      if (v !== null) return v;
    } catch (e) {
      /* fall through */
    }
    return memoryDrafts.has(k) ? memoryDrafts.get(k) : null;
  }

  function storageSet(k, v) {
    try {
      window.localStorage.setItem(k, v);
      memoryDrafts.delete(k);
    } catch (e) {
      memoryDrafts.set(k, v);
    }
  }

  function storageRemove(k) {
    memoryDrafts.delete(k);
    try {
      window.localStorage.removeItem(k);
    } catch (e) {
      /* ignore */
    }
  }

  function parseDraft(raw) {
    if (!raw) return null;
    try {
      const d = JSON.parse(raw);
      if (!d || typeof d.value !== "string") return null;
      return d;
    } catch (e) {
      return null;
    }
  }

  function readDraft(st) {
    const k = draftKey(st.session, st.key);
    const d = parseDraft(storageGet(k));
    if (!d) {
      if (storageGet(k) !== null) storageRemove(k);
      return null;
    }
    if (!(typeof d.ts === "number") || now() - d.ts > DRAFT_MAX_AGE_MS) {
      storageRemove(k);
      return null;
    }
    return d;
  }

  function writeDraft(st, value, version) {
    storageSet(
      draftKey(st.session, st.key),
      JSON.stringify({ value: value, version: storedVersion(version), ts: now() })
    );
  }

  function removeDraft(st) {
    storageRemove(draftKey(st.session, st.key));
  }

  function purgeOldDrafts() {
    let keys = [];
    try {
      const ls = window.localStorage;
      for (let i = 0; i < ls.length; i++) {
        const k = ls.key(i);
        if (k && k.indexOf(DRAFT_PREFIX) === 0) keys.push(k);
      }
    } catch (e) {
      keys = [];
    }
    for (const k of keys) {
      const d = parseDraft(storageGet(k));
      if (!d || typeof d.ts !== "number" || now() - d.ts > DRAFT_MAX_AGE_MS) storageRemove(k);
    }
  }

  // --- Per-field state -------------------------------------------------------------------------

  /**
   * One state per field key (not per element: htmx may swap the element while a save is
   * under way; the next element with the same key carries on).
   */
  const states = new Map();
  const typedIn = new WeakSet(); // elements the user has typed in
  const lastInputAt = new WeakMap(); // element -> ms
  const initialised = new WeakSet();

  function getState(key, el, kind) {
    let st = states.get(key);
    if (!st) {
      st = {
        key: key,
        kind: kind,
        session: "",
        saveUrl: "",
        dirty: false, // local text/choice differs from what the server confirmed
        inFlight: false,
        again: false, // save again when the current request returns
        debounce: null,
        retry: null, // automatic retry timer (network, 5xx, login, csrf)
        attempt: 0,
        errorKind: null, // network | login | csrf | permanent
        failedSig: null,
        failedCsrfToken: null,
        csrfRetried: false,
        conflict: null, // {theirs, version, by, at}
        lastChange: 0,
        lastSettled: 0,
        pendingRemote: null,
      };
      states.set(key, st);
    }
    if (el) {
      st.kind = kind || st.kind;
      st.session = sessionOf(el);
      st.saveUrl = saveUrlOf(el) || st.saveUrl;
    }
    return st;
  }

  function unsaved(st) {
    return !!(st.dirty || st.inFlight || st.debounce || st.again || st.errorKind || st.conflict);
  }

  function pendingCount() {
    let n = 0;
    states.forEach((st) => {
      if (unsaved(st)) n++;
    });
    return n;
  }

  // --- Status element and banner ---------------------------------------------------------------

  function setStatus(key, state, text, withRetry) {
    for (const el of byData("[data-status-for]", "statusFor", key)) {
      if (state) el.dataset.state = state;
      else delete el.dataset.state;
      const nodes = [];
      if (text) nodes.push(document.createTextNode(text));
      const label = msg("retry");
      if (withRetry && label) {
        const button = document.createElement("button");
        button.type = "button";
        button.dataset.liveRetry = key;
        button.textContent = label;
        if (nodes.length) nodes.push(document.createTextNode(" "));
        nodes.push(button);
      }
      el.replaceChildren(...nodes);
    }
  }

  function setSavedStatus(key, time) {
    setStatus(key, "saved", fill(msg("saved"), { time: time || "" }), false);
  }

  const bannerReasons = new Map();

  function renderBanner() {
    const banner = document.getElementById("connection-banner");
    if (!banner) return;
    let text = null;
    for (const reason of BANNER_PRIORITY) {
      if (bannerReasons.has(reason)) {
        text = bannerReasons.get(reason);
        break;
      }
    }
    if (text === null) {
      if (!banner.hidden) banner.hidden = true;
      if (banner.textContent) banner.textContent = "";
      return;
    }
    if (banner.textContent !== text) banner.textContent = text;
    if (banner.hidden) banner.hidden = false;
  }

  function setBanner(reason, text) {
    bannerReasons.set(reason, text || msg("unsaved"));
    renderBanner();
  }

  function clearBanner(...reasons) {
    let changed = false;
    for (const r of reasons) changed = bannerReasons.delete(r) || changed;
    if (changed) renderBanner();
  }

  // --- Saving ----------------------------------------------------------------------------------

  /**
   * The text element of a field, with the user's draft put back when the element was swapped in
   * (htmx) after the user typed: the draft always holds the newest unconfirmed text.
   */
  function reconcile(st) {
    const el = textEl(st.key);
    if (!el || typedIn.has(el)) return el;
    const draft = readDraft(st);
    if (draft && norm(draft.value) !== norm(el.value)) {
      el.value = draft.value;
      el.dataset.version = String(draft.version ?? "");
    }
    return el;
  }

  /** What to send for a field right now, or null when there is nothing to send. */
  function buildRequest(st) {
    const params = new URLSearchParams();
    params.append("field", st.key);
    if (st.kind === "text") {
      const el = reconcile(st);
      let value, version;
      if (el) {
        value = el.value;
        version = el.dataset.version ?? "";
      } else {
        const d = readDraft(st);
        if (!d) return null;
        value = d.value;
        version = d.version ?? "";
      }
      params.append("value", value);
      params.append("version", String(version));
      return { params: params, value: value, sig: params.toString() };
    }
    const inputs = choiceEls(st.key);
    if (!inputs.length) return null;
    const boxes = inputs.filter((i) => i.type === "checkbox");
    if (boxes.length) {
      for (const box of boxes) if (box.checked) params.append("value", box.value);
    } else {
      const on = inputs.find((i) => i.checked);
      params.append("value", on ? on.value : "");
    }
    return { params: params, value: null, sig: params.toString() };
  }

  function save(key, opts) {
    opts = opts || {};
    const st = states.get(key);
    if (!st) return;
    clearTimeout(st.debounce);
    st.debounce = null;
    if (st.inFlight) {
      st.again = true;
      return;
    }
    if (st.conflict && !opts.resolve) return;
    const req = buildRequest(st);
    if (!req) {
      clearTimeout(st.retry);
      st.retry = null;
      st.dirty = false;
      st.errorKind = null;
      checkWaiters();
      return;
    }
    if (!opts.force && st.errorKind === "permanent" && req.sig === st.failedSig) return;
    if (!st.saveUrl) {
      const el = st.kind === "text" ? textEl(key) : choiceEls(key)[0];
      st.saveUrl = saveUrlOf(el);
      if (!st.saveUrl) return;
    }
    clearTimeout(st.retry);
    st.retry = null;
    st.inFlight = true;
    st.again = false;
    if (!opts.quiet) setStatus(key, "saving", msg("saving"), false);
    const token = csrfToken();
    request(st.saveUrl, {
      method: "POST",
      headers: saveHeaders(token),
      body: req.params,
      keepalive: !!opts.keepalive && req.sig.length < KEEPALIVE_MAX_BYTES,
    }).then((res) => {
      st.inFlight = false;
      st.lastSettled = now();
      try {
        handleSaveResult(st, req, res, token);
      } finally {
        checkWaiters();
      }
    });
  }

  function saveHeaders(token) {
    const headers = { Accept: "application/json", "X-Requested-With": "fetch" };
    if (token) headers["X-CSRFToken"] = token;
    return headers;
  }

  /**
   * fetch with a timeout; resolves (never rejects) to
   * {network: true} | {status, json, login, date}.
   */
  function request(url, init) {
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS) : null;
    const options = Object.assign(
      { credentials: "same-origin", redirect: "manual", cache: "no-store" },
      init,
      controller ? { signal: controller.signal } : {}
    );
    return fetch(url, options)
      .then((res) => {
        if (res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400)) {
          // A redirect (to the login page) instead of an answer.
          return { status: 401, json: null, login: true, date: null };
        }
        return res.text().then((text) => {
          let json = null;
          if (text) {
            try {
              json = JSON.parse(text);
            } catch (e) {
              json = null;
            }
          }
          return {
            status: res.status,
            json: json,
            login: false,
            date: res.headers.get("Date"),
            syncToken: res.headers.get("X-Sync-Token"),
          };
        });
      })
      .catch(() => ({ network: true }))
      .finally(() => {
        if (timer) clearTimeout(timer);
      });
  }

  function handleSaveResult(st, req, res, token) {
    const key = st.key;
    const json = res.json && typeof res.json === "object" ? res.json : null;
    const message = (json && typeof json.message === "string" && json.message) || "";

    if (res.network || res.status >= 500 || res.status === 0) {
      const network = !!res.network || [502, 503, 504].indexOf(res.status) >= 0;
      failTransient(st, network);
      return;
    }
    if (res.status === 401) {
      st.errorKind = "login";
      st.again = false;
      setBanner("login", message || msg("unsaved"));
      setStatus(key, "error", msg("unsaved"), true);
      scheduleRetry(st, LOGIN_RETRY_MS);
      return;
    }
    if (res.status === 200 && json && json.error === undefined) {
      succeed(st, req, json);
      return;
    }
    if (res.status === 409 && json && st.kind === "text") {
      conflictFromSave(st, req, json, message);
      return;
    }
    if (res.status === 403 && json && json.error === "csrf") {
      if (!st.csrfRetried) {
        // Re-read the token (csrfToken() reads the cookie each time) and try once more.
        st.csrfRetried = true;
        save(key, { force: true, quiet: true });
        return;
      }
      st.errorKind = "csrf";
      st.failedCsrfToken = token;
      st.again = false;
      setBanner("csrf", message);
      setStatus(key, "error", message || msg("unsaved"), true);
      // Only resend by itself once the cookie holds another token (logged in again elsewhere).
      scheduleRetry(st, LOGIN_RETRY_MS);
      return;
    }
    if (res.status >= 200 && res.status < 300) {
      // Not the JSON the contract promises (proxy page, …): not saved, try again later.
      failTransient(st, false);
      return;
    }
    // 400, 403 forbidden/closed, 404, other 4xx: show the message, keep the draft, no retry.
    st.errorKind = "permanent";
    st.failedSig = req.sig;
    st.dirty = true;
    setStatus(key, "error", message || msg("unsaved"), false);
    if (res.status === 403) setBanner("forbidden", message);
    if (st.again) {
      st.again = false;
      const next = buildRequest(st);
      if (next && next.sig !== st.failedSig) save(key);
    }
  }

  function failTransient(st, network) {
    st.errorKind = "network";
    st.networkBanner = network;
    st.again = false;
    st.attempt += 1;
    const delay = BACKOFF_S[Math.min(st.attempt - 1, BACKOFF_S.length - 1)] * 1000;
    if (navigator.onLine === false) {
      setStatus(st.key, "offline", msg("offline"), false);
    } else {
      setStatus(st.key, "error", msg("unsaved"), true);
    }
    if (network) setBanner("network", msg("offline"));
    scheduleRetry(st, delay);
  }

  function scheduleRetry(st, delay) {
    clearTimeout(st.retry);
    st.retry = setTimeout(() => {
      st.retry = null;
      if (st.inFlight) return;
      if (st.errorKind === "csrf" && csrfToken() === st.failedCsrfToken) {
        scheduleRetry(st, delay);
        return;
      }
      if (st.errorKind === "csrf") st.csrfRetried = false;
      save(st.key, { force: true, quiet: st.errorKind === "login" || st.errorKind === "csrf" });
    }, delay);
  }

  function clearError(st) {
    st.errorKind = null;
    st.failedSig = null;
    st.failedCsrfToken = null;
    st.csrfRetried = false;
    st.attempt = 0;
    st.networkBanner = undefined;
    clearTimeout(st.retry);
    st.retry = null;
  }

  function succeed(st, req, json) {
    const key = st.key;
    clearError(st);
    clearBanner("network", "login", "csrf", "forbidden");
    let needAgain = false;
    if (st.kind === "text") {
      const el = reconcile(st);
      if (el && json.version !== undefined && json.version !== null) {
        el.dataset.version = String(json.version);
      }
      const draft = readDraft(st);
      const current = el ? el.value : draft ? draft.value : req.value;
      if (norm(current) === norm(req.value)) {
        removeDraft(st);
        st.dirty = false;
      } else {
        // Typed while the request was under way: the text is now based on the new version.
        writeDraft(st, current, json.version);
        st.dirty = true;
        needAgain = true;
      }
      updateDisplays(key, json.value !== undefined ? json.value : req.value);
    } else {
      const next = buildRequest(st);
      needAgain = !!(next && next.sig !== req.sig);
      st.dirty = needAgain;
      if (json.value !== undefined) updateDisplays(key, json.value);
    }
    st.again = false;
    setSavedStatus(key, json.saved_at);
    if (needAgain && !st.debounce) save(key);
    // The connection works again: the other fields need not wait for their backoff.
    retryFailing(st);
  }

  /** Save at once every field that waits for an automatic retry (network, login). */
  function retryFailing(except) {
    states.forEach((st) => {
      if (st === except || st.inFlight || !st.retry) return;
      if ((st.errorKind === "network" && st.networkBanner) || st.errorKind === "login") {
        save(st.key, { force: true, quiet: st.errorKind === "login" });
      }
    });
  }

  // --- Conflicts -------------------------------------------------------------------------------

  function conflictFromSave(st, req, json, message) {
    const el = reconcile(st);
    const draft = readDraft(st);
    const mine = el ? el.value : draft ? draft.value : req.value;
    if (norm(json.value) === norm(mine)) {
      // The stored text is ours (e.g. a retried request that did go through): no conflict.
      succeed(st, { value: mine, sig: req.sig, params: req.params }, json);
      return;
    }
    clearError(st);
    clearBanner("network", "login", "csrf", "forbidden");
    st.again = false;
    st.dirty = true;
    writeDraft(st, mine, el ? el.dataset.version : draft ? draft.version : "");
    openConflict(st, {
      theirs: json.value === null || json.value === undefined ? "" : String(json.value),
      version: json.version,
      by: json.saved_by || "",
      at: json.saved_at || "",
      mine: mine,
    }, message);
  }

  function openConflict(st, conflict, fallbackMessage) {
    const key = st.key;
    const box = byData("[data-conflict-for]", "conflictFor", key)[0];
    const template = document.getElementById("conflict-template");
    if (!box || !template || !template.content) {
      // No panel to offer a choice: report it; the next edit tries again.
      st.conflict = null;
      st.errorKind = "permanent";
      const req = buildRequest(st);
      st.failedSig = req ? req.sig : null;
      setStatus(key, "conflict", msg("conflict") || fallbackMessage, false);
      return;
    }
    st.conflict = conflict;
    renderConflict(box, template, conflict);
    setStatus(key, "conflict", msg("conflict") || fallbackMessage, false);
  }

  function renderConflict(box, template, conflict) {
    const fragment = template.content.cloneNode(true);
    const slot = (name) => fragment.querySelector('[data-slot="' + name + '"]');
    const meta = slot("meta");
    if (meta) {
      if (conflict.by || conflict.at) {
        meta.textContent = fill(msg("conflict-meta"), { by: conflict.by, time: conflict.at });
      } else {
        meta.textContent = "";
        meta.hidden = true;
      }
    }
    const mine = slot("mine");
    if (mine) mine.textContent = conflict.mine;
    const theirs = slot("theirs");
    if (theirs) theirs.textContent = conflict.theirs;
    for (const button of fragment.querySelectorAll("button[data-action]")) {
      if (!button.getAttribute("type")) button.type = "button";
    }
    box.replaceChildren(fragment);
    box.hidden = false;
  }

  function closeConflict(key) {
    for (const box of byData("[data-conflict-for]", "conflictFor", key)) {
      box.replaceChildren();
      box.hidden = true;
    }
  }

  function resolveConflict(key, action) {
    const st = states.get(key);
    if (!st || !st.conflict) {
      closeConflict(key);
      return;
    }
    const c = st.conflict;
    const el = reconcile(st);
    const draft = readDraft(st);
    const mine = el ? el.value : draft ? draft.value : c.mine;
    const version = c.version === undefined || c.version === null ? "" : String(c.version);
    st.conflict = null;
    closeConflict(key);
    clearError(st);

    if (action === "take-theirs") {
      if (el) {
        el.value = c.theirs;
        el.dataset.version = version;
      }
      removeDraft(st);
      st.dirty = false;
      st.again = false;
      st.pendingRemote = null;
      updateDisplays(key, c.theirs);
      if (c.at) setSavedStatus(key, c.at);
      else setStatus(key, "", "", false);
      checkWaiters();
      return;
    }

    let text = mine;
    if (action === "merge") {
      // A blank line between the two; a one-line <input> cannot hold line breaks: a space there.
      const separator = el && el.tagName === "INPUT" ? " " : "\n\n";
      text = mine + separator + c.theirs;
    }
    if (el) {
      el.value = text;
      el.dataset.version = version;
    }
    writeDraft(st, text, version);
    st.dirty = true;
    if (action === "merge" && el) {
      try {
        el.focus();
      } catch (e) {
        /* ignore */
      }
    }
    save(key, { resolve: true, force: true });
  }

  // --- Drafts on load --------------------------------------------------------------------------

  function initWithin(root) {
    if (!root || root.nodeType !== 1) return;
    const fields = [];
    if (isText(root)) fields.push(root);
    for (const el of root.querySelectorAll('[data-autosave="text"][data-field]')) fields.push(el);
    for (const el of fields) {
      if (initialised.has(el)) continue;
      initialised.add(el);
      checkDraft(el);
    }
    // A conflict that was open before a swap: show it again in the new container.
    states.forEach((st) => {
      if (!st.conflict) return;
      const box = byData("[data-conflict-for]", "conflictFor", st.key)[0];
      const template = document.getElementById("conflict-template");
      if (box && box.hidden && template && (root.contains(box) || box.contains(root))) {
        renderConflict(box, template, st.conflict);
      }
    });
  }

  function checkDraft(el) {
    const key = el.dataset.field;
    const st = getState(key, el, "text");
    if (st.inFlight) return; // the save's answer reconciles the new element
    if (st.conflict) {
      reconcile(st); // keep the user's text in the new element; the panel is shown again
      return;
    }
    const draft = readDraft(st);
    if (!draft) return;
    if (norm(draft.value) === norm(el.value)) {
      if (!unsaved(st)) removeDraft(st);
      return;
    }
    const fieldVersion = el.dataset.version ?? "";
    if (String(draft.version ?? "") === String(fieldVersion)) {
      el.value = draft.value;
      st.dirty = true;
      setStatus(key, "saving", msg("draft-restored"), false);
      save(key, { quiet: true });
      return;
    }
    // The draft was based on another version: the user decides. The field keeps the user's text
    // (as after a 409), based on the draft's version; the panel shows the stored text.
    const theirs = el.value;
    el.value = draft.value;
    el.dataset.version = String(draft.version ?? "");
    st.dirty = true;
    openConflict(st, {
      theirs: theirs,
      version: fieldVersion,
      by: el.dataset.savedBy || "",
      at: el.dataset.savedAt || "",
      mine: draft.value,
    }, "");
  }

  // --- Flushing --------------------------------------------------------------------------------

  const waiters = [];

  function busy() {
    let b = false;
    states.forEach((st) => {
      if (st.inFlight || st.debounce) b = true;
    });
    return b;
  }

  function checkWaiters() {
    if (!waiters.length || busy()) return;
    const list = waiters.splice(0, waiters.length);
    const count = pendingCount();
    for (const resolve of list) resolve(count);
  }

  /** Save every pending field now; resolves (with pendingCount()) when no request is under way. */
  function flush(opts) {
    opts = opts || {};
    states.forEach((st) => {
      if (st.conflict || st.errorKind === "permanent" || st.inFlight) {
        if (st.inFlight && st.debounce) save(st.key); // marks "again"
        return;
      }
      if (st.errorKind === "csrf" && !st.debounce) return;
      if (st.debounce || st.retry || st.dirty) {
        save(st.key, { force: true, keepalive: opts.keepalive });
      }
    });
    if (!busy()) return Promise.resolve(pendingCount());
    return new Promise((resolve) => waiters.push(resolve));
  }

  /** Only the debounced saves (not the failed ones): before htmx swaps and on leaving. */
  function flushDebounced(opts) {
    states.forEach((st) => {
      if (st.debounce) save(st.key, opts);
    });
  }

  function flushWithin(ms) {
    return Promise.race([flush(), new Promise((resolve) => setTimeout(resolve, ms))]);
  }

  // --- Live sync -------------------------------------------------------------------------------

  let syncTimer = null;
  let syncBusy = false;
  let clockSkew = 0; // server clock minus ours, ms (from the Date header of sync answers)
  let lastServerFactor = null;

  function scheduleSync(delay) {
    clearTimeout(syncTimer);
    if (delay === undefined) {
      delay = document.visibilityState === "visible" ? SYNC_VISIBLE_MS : SYNC_HIDDEN_MS;
    }
    syncTimer = setTimeout(poll, delay);
  }

  function poll() {
    if (syncBusy) return;
    const main = mainEl();
    if (!main || !main.dataset.syncUrl) {
      scheduleSync();
      return;
    }
    let url;
    try {
      url = new URL(main.dataset.syncUrl, window.location.href);
    } catch (e) {
      return;
    }
    url.searchParams.set("since", main.dataset.revision || "0");
    const headers = { Accept: "application/json", "X-Requested-With": "fetch" };
    // Lets the server answer "nothing changed" cheaply (see docs/live-protocol.md).
    if (main.dataset.syncToken) headers["X-Sync-Token"] = main.dataset.syncToken;
    const syncUrl = main.dataset.syncUrl;
    syncBusy = true;
    const started = now();
    request(url.toString(), { method: "GET", headers: headers })
      .then((res) => {
        if (res.network) return;
        noteClock(res.date, started);
        const current = mainEl();
        if (res.syncToken && current && current.dataset.syncUrl === syncUrl) {
          current.dataset.syncToken = res.syncToken;
        }
        if (res.status === 401) {
          setBanner("login", (res.json && res.json.message) || msg("unsaved"));
          return;
        }
        if (res.status === 200 || res.status === 204) {
          clearBanner("login");
          retryFailing(null);
        }
        if (res.status === 200 && res.json && typeof res.json === "object") {
          applySync(res.json, started);
        }
      })
      .catch(() => {
        /* a broken answer: the next poll asks again */
      })
      .finally(() => {
        syncBusy = false;
        scheduleSync();
      });
  }

  function noteClock(dateHeader, started) {
    if (!dateHeader) return;
    const server = Date.parse(dateHeader);
    if (!Number.isFinite(server)) return;
    // The header is truncated to the second: take the middle of that second and of the request.
    const skew = server + 500 - (started + now()) / 2;
    const next = Math.abs(skew) > 2000 ? skew : 0;
    if (Math.abs(next - clockSkew) > 1500) clockSkew = next;
  }

  function applySync(json, started) {
    const main = mainEl();
    const fields = json.fields && typeof json.fields === "object" ? json.fields : {};
    for (const key of Object.keys(fields)) {
      const item = fields[key] && typeof fields[key] === "object" ? fields[key] : { value: fields[key] };
      applyField(key, item, started);
    }
    if (main && json.revision !== undefined && json.revision !== null) {
      main.dataset.revision = String(json.revision);
    }
    if (document.body) {
      document.body.dispatchEvent(new CustomEvent("live:changed", { detail: json }));
      // Summary parts (progress, completeness, levels) reload only when more than typed text
      // changed, so a notulist's typing does not make the moderator's screen fetch fragments.
      if (json.refresh) {
        document.body.dispatchEvent(new CustomEvent("live:refresh", { detail: json }));
      }
    }
    if (json.current_factor !== undefined && json.current_factor !== null) {
      lastServerFactor = String(json.current_factor);
      considerFollow();
    }
  }

  function applyField(key, item, started) {
    const value = item.value;
    const st = states.get(key);
    const text = textEl(key);
    if (text) {
      const serverVersion = versionNumber(item.version);
      if (serverVersion > versionNumber(text.dataset.version)) {
        if (isFocused(text) || (st && unsaved(st))) {
          // Applied when the user leaves the field without having changed it.
          getState(key, text, "text").pendingRemote = { value: value, version: item.version };
        } else {
          text.value = value === null || value === undefined ? "" : String(value);
          text.dataset.version = String(item.version);
          if (st) st.pendingRemote = null;
        }
      }
    }
    const inputs = choiceEls(key);
    if (inputs.length) {
      const active = document.activeElement;
      const focusWithin = inputs.some(
        (i) => i === active || (active && i.closest("label") && i.closest("label").contains(active))
      );
      const skip =
        st &&
        (unsaved(st) ||
          (focusWithin && now() - st.lastChange < CHOICE_GUARD_MS) ||
          st.lastSettled > started); // this answer may predate our own save
      if (!skip) {
        for (const input of inputs) {
          let on;
          if (Array.isArray(value)) on = value.map(String).indexOf(input.value) >= 0;
          else if (typeof value === "boolean") on = value;
          else on = value !== null && value !== undefined && String(value) === input.value;
          if (input.checked !== on) input.checked = on;
        }
      }
    }
    updateDisplays(key, value);
  }

  function updateDisplays(key, value) {
    for (const el of byData("[data-display-field]", "displayField", key)) {
      let labels = null;
      if (el.dataset.displayLabels) {
        try {
          labels = JSON.parse(el.dataset.displayLabels);
        } catch (e) {
          labels = null;
        }
      }
      const show = (v) => {
        const s = v === null || v === undefined ? "" : String(v);
        return labels && Object.prototype.hasOwnProperty.call(labels, s) ? String(labels[s]) : s;
      };
      const text = Array.isArray(value) ? value.map(show).join(", ") : show(value);
      if (el.textContent !== text) el.textContent = text;
    }
  }

  // --- Following the moderator -----------------------------------------------------------------

  let pendingFollow = null;
  let following = false;

  function followNotice() {
    return document.getElementById("follow-notice");
  }

  function typingRecently() {
    const a = document.activeElement;
    if (!isText(a)) return false;
    const t = lastInputAt.get(a);
    return !!t && now() - t < FOLLOW_TYPING_MS;
  }

  function considerFollow() {
    const main = mainEl();
    if (!main || !main.dataset.followUrl || lastServerFactor === null || following) return;
    const box = document.getElementById("follow-moderator");
    if (!box || !box.checked) return;
    if (lastServerFactor === String(main.dataset.currentFactor ?? "")) {
      pendingFollow = null;
      hideFollowNotice();
      return;
    }
    const url = main.dataset.followUrl.replace(/\{factor\}/g, encodeURIComponent(lastServerFactor));
    pendingFollow = { url: url, factor: lastServerFactor };
    if (typingRecently()) {
      const notice = followNotice();
      if (notice) {
        const link = notice.querySelector("a[data-follow-link]");
        if (link) link.href = url;
        notice.hidden = false;
      }
    } else {
      followNow();
    }
  }

  function hideFollowNotice() {
    const notice = followNotice();
    if (notice) notice.hidden = true;
  }

  function followNow() {
    const target = pendingFollow;
    if (!target || following) return;
    pendingFollow = null;
    following = true;
    hideFollowNotice();
    flushWithin(5000)
      .then(() => {
        const htmx = window.htmx;
        if (htmx && typeof htmx.ajax === "function" && document.getElementById("live-body")) {
          return Promise.resolve(
            htmx.ajax("GET", target.url, {
              target: "#live-body",
              select: "#live-body",
              swap: "outerHTML",
            })
          ).then(() => {
            try {
              history.replaceState(history.state, "", target.url);
            } catch (e) {
              /* ignore */
            }
            const main = mainEl();
            if (main) main.dataset.currentFactor = target.factor;
          });
        }
        const main = mainEl();
        if (main) main.dataset.currentFactor = target.factor;
        window.location.assign(target.url);
        return null;
      })
      .catch(() => {
        /* the next sync tries again */
      })
      .finally(() => {
        following = false;
      });
  }

  // --- Timer -----------------------------------------------------------------------------------

  function formatElapsed(seconds) {
    const s = Math.max(0, Math.floor(seconds));
    const m = Math.floor(s / 60);
    const r = s % 60;
    return (m < 10 ? "0" : "") + m + ":" + (r < 10 ? "0" : "") + r;
  }

  function setTimerText(el, text) {
    const slot = el.querySelector("[data-timer-value]");
    if (slot) {
      if (slot.textContent !== text) slot.textContent = text;
      return;
    }
    if (!el.children.length) {
      if (el.textContent !== text) el.textContent = text;
      return;
    }
    // Keep child elements (e.g. the phase); write the time into the leading text node.
    let node = el.firstChild;
    if (!node || node.nodeType !== 3) {
      node = document.createTextNode("");
      el.insertBefore(node, el.firstChild);
    }
    const tail = (node.data.match(/\s*$/) || [""])[0] || " ";
    if (node.data !== text + tail) node.data = text + tail;
  }

  /** ISO timestamp -> ms; Django writes microseconds, which not every engine parses. */
  function parseTime(iso) {
    if (!iso) return NaN;
    return Date.parse(String(iso).trim().replace(/(\.\d{3})\d+/, "$1"));
  }

  function tickTimers() {
    const current = now() + clockSkew;
    for (const el of document.querySelectorAll("[data-timer-start]")) {
      const base = Number(el.dataset.timerBase) || 0;
      const start = parseTime(el.dataset.timerStart);
      const running = Number.isFinite(start) ? Math.max(0, (current - start) / 1000) : 0;
      const elapsed = base + running;
      setTimerText(el, formatElapsed(elapsed));

      const budget = el.dataset.timerBudget !== undefined && el.dataset.timerBudget !== ""
        ? Number(el.dataset.timerBudget) : NaN;
      const questions = el.dataset.timerQuestions !== undefined && el.dataset.timerQuestions !== ""
        ? Number(el.dataset.timerQuestions) : NaN;
      if (Number.isFinite(budget)) {
        if (elapsed > budget) {
          if (el.dataset.over !== "true") el.dataset.over = "true";
        } else if (el.dataset.over !== undefined) {
          delete el.dataset.over;
        }
      }
      const phaseEl =
        el.querySelector("[data-timer-phase]") ||
        (el.parentElement && el.parentElement.querySelector("[data-timer-phase]"));
      // Before the session starts the clock stands still; the page's own hint stays.
      if (phaseEl && (Number.isFinite(start) || base > 0) && (Number.isFinite(budget) || Number.isFinite(questions))) {
        let phase;
        if (Number.isFinite(questions) && elapsed <= questions) phase = "questions";
        else if (!Number.isFinite(budget) || elapsed <= budget) phase = "scoring";
        else phase = "over";
        const text = msg("phase-" + phase);
        if (phaseEl.dataset.phase !== phase) phaseEl.dataset.phase = phase;
        if (phaseEl.textContent !== text) phaseEl.textContent = text;
      }
    }
  }

  // --- Event handlers (delegated on document) --------------------------------------------------

  function onInput(event) {
    const el = event.target;
    if (!isText(el)) return;
    const key = el.dataset.field;
    const st = getState(key, el, "text");
    typedIn.add(el);
    lastInputAt.set(el, now());
    st.lastChange = now();
    st.pendingRemote = null;
    writeDraft(st, el.value, el.dataset.version);
    st.dirty = true;
    if (st.conflict) return; // the panel decides; the draft keeps the text meanwhile
    if (st.retry && (st.errorKind === "network" || st.errorKind === "login" || st.errorKind === "csrf")) {
      return; // the retry sends the latest text
    }
    clearTimeout(st.debounce);
    st.debounce = setTimeout(() => {
      st.debounce = null;
      save(key);
    }, DEBOUNCE_MS);
  }

  function onFocusOut(event) {
    const el = event.target;
    if (!isText(el)) return;
    const key = el.dataset.field;
    const st = states.get(key);
    if (st) {
      if (st.dirty && !st.conflict && !st.retry) save(key);
      else if (st.debounce) save(key);
      // A newer text that arrived while the field had focus, and the user did not change it.
      if (st.pendingRemote && !unsaved(st)) {
        const r = st.pendingRemote;
        st.pendingRemote = null;
        if (versionNumber(r.version) > versionNumber(el.dataset.version)) {
          el.value = r.value === null || r.value === undefined ? "" : String(r.value);
          el.dataset.version = String(r.version);
        }
      }
    }
    if (pendingFollow) {
      // Let the focus land first, then follow.
      setTimeout(() => {
        if (pendingFollow && !typingRecently()) followNow();
      }, 0);
    }
  }

  function onChange(event) {
    const el = event.target;
    if (el && el.id === "follow-moderator") {
      if (el.checked) considerFollow();
      else {
        pendingFollow = null;
        hideFollowNotice();
      }
      return;
    }
    if (!isChoice(el)) return;
    const key = el.dataset.field;
    const st = getState(key, el, "choice");
    st.lastChange = now();
    st.dirty = true;
    if (st.errorKind === "permanent") st.errorKind = null;
    save(key, { force: true });
  }

  function onClick(event) {
    const target = event.target;
    if (!target || !target.closest) return;
    const retry = target.closest("[data-live-retry]");
    if (retry) {
      event.preventDefault();
      const st = states.get(retry.dataset.liveRetry);
      if (st) {
        st.attempt = 0;
        st.csrfRetried = false;
        save(st.key, { force: true });
      }
      return;
    }
    const action = target.closest("[data-conflict-for] [data-action]");
    if (action) {
      const box = action.closest("[data-conflict-for]");
      const name = action.dataset.action;
      if (name === "keep-mine" || name === "take-theirs" || name === "merge") {
        event.preventDefault();
        resolveConflict(box.dataset.conflictFor, name);
      }
      return;
    }
    const link = target.closest("#follow-notice a[data-follow-link]");
    if (link && pendingFollow && !event.ctrlKey && !event.metaKey && !event.shiftKey && event.button === 0) {
      event.preventDefault();
      followNow();
    }
  }

  function onBeforeUnload(event) {
    if (!pendingCount()) return undefined;
    flushDebounced({ keepalive: true });
    event.preventDefault();
    // Browsers show their own text; the value only has to be non-empty for older ones.
    event.returnValue = msg("leave") || true;
    return event.returnValue;
  }

  function onVisibilityChange() {
    if (document.visibilityState === "visible") {
      if (!syncBusy) scheduleSync(0);
      retryFailing(null);
    } else {
      flushDebounced({ keepalive: true });
    }
  }

  function onOnline() {
    states.forEach((st) => {
      if (st.errorKind === "network") st.attempt = 0;
    });
    retryFailing(null);
    if (!syncBusy) scheduleSync(0);
  }

  function onOffline() {
    states.forEach((st) => {
      if (st.errorKind === "network") setStatus(st.key, "offline", msg("offline"), false);
    });
  }

  function onHtmxConfigRequest(event) {
    // Keep htmx's own posts working after the CSRF token changed (login in another tab).
    const detail = event.detail;
    if (!detail || !detail.headers || String(detail.verb || "").toLowerCase() === "get") return;
    const token = csrfToken();
    if (token) detail.headers["X-CSRFToken"] = token;
  }

  // --- Start -----------------------------------------------------------------------------------

  let running = false;

  function start() {
    if (running) return;
    running = true;
    purgeOldDrafts();
    initWithin(document.body);
    scheduleSync(SYNC_VISIBLE_MS);
    tickTimers();
    setInterval(tickTimers, 1000);
  }

  document.addEventListener("input", onInput);
  document.addEventListener("focusout", onFocusOut);
  document.addEventListener("change", onChange);
  document.addEventListener("click", onClick);
  document.addEventListener("visibilitychange", onVisibilityChange);
  document.addEventListener("htmx:load", (event) => {
    if (!running) return; // start() initialises everything on DOMContentLoaded
    initWithin(event.detail && event.detail.elt ? event.detail.elt : event.target);
  });
  // Forms marked data-flush-first (e.g. "finalize the advice") must only go once every typed
  // text is on the server; otherwise the result would miss the last sentence.
  document.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-flush-first")) return;
    if (form.dataset.flushed === "1" || pendingCount() === 0) return;
    event.preventDefault();
    flushWithin(10000).then(() => {
      if (pendingCount() === 0) {
        form.dataset.flushed = "1";
        form.requestSubmit(event.submitter || undefined);
      } else {
        setBanner("network", msg("unsaved"));
      }
    });
  });
  document.addEventListener("htmx:beforeRequest", () => flushDebounced());
  document.addEventListener("htmx:configRequest", onHtmxConfigRequest);
  window.addEventListener("beforeunload", onBeforeUnload);
  window.addEventListener("pagehide", () => flushDebounced({ keepalive: true }));
  window.addEventListener("online", onOnline);
  window.addEventListener("offline", onOffline);

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  window.actiescanLive = Object.freeze({
    flush: () => flush(),
    pendingCount: pendingCount,
  });
})();
