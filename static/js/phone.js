/*
 * The phone page of a table member (templates/phones/phone.html): it follows the moderator live.
 *
 * One EventSource on data-stream-url (server-sent events, docs/push.md). When no `ready` event
 * arrives within 5 s (a proxy that buffers, a server without streams) or the stream is refused,
 * the page polls data-sync-url every 2 s instead (10 s while hidden). Every event and every poll
 * answer is the phone's state (sessions/phones.py phone_state); when its `key` differs from the
 * page's, the page fetches its own fragment (#phone-body) and swaps it in. While an idea for an
 * action point is being typed, the swap waits, so typed text is never lost; the page says so.
 * `denied` (code revoked or expired, session closed) ends the updates and shows why.
 *
 * The two forms (own mark, idea) are sent with fetch and answered in JSON; without JavaScript
 * they post normally. No dependencies, no inline code, no style attributes (strict CSP); every
 * text comes from a data-msg-* attribute on <body>.
 */

const READY_TIMEOUT_MS = 5000;
const POLL_VISIBLE_MS = 2000;
const POLL_HIDDEN_MS = 10000;
const RETRY_MS = 2000;

function msg(name) {
  return document.body.dataset["msg" + name.charAt(0).toUpperCase() + name.slice(1)] || "";
}

function phoneBody() {
  return document.getElementById("phone-body");
}

function say(text) {
  const status = document.getElementById("phone-status");
  if (status) status.textContent = text;
}

function setOnline(online) {
  const banner = document.getElementById("phone-connection");
  if (!banner) return;
  if (online) {
    banner.hidden = true;
    banner.textContent = "";
  } else {
    banner.textContent = msg("offline");
    banner.hidden = false;
  }
}

/** Whether the idea field holds text that was not sent yet. */
function holdsDraft() {
  const field = phoneBody()?.querySelector("form[data-phone-form='proposal'] textarea");
  return !!field && field.value.trim() !== "";
}

function factorOf(body) {
  const input = body.querySelector("input[name='factor']");
  return (input ? input.value : "") + "|" + (body.dataset.phase || "");
}

/** The status line of the idea form, where a person typing looks. */
function showAtIdea(text, isError) {
  const status = phoneBody()?.querySelector("form[data-phone-form='proposal'] [data-form-status]");
  if (!status) return;
  status.textContent = text;
  status.classList.toggle("phone-form-status--error", !!isError);
}

function start(main) {
  const streamUrl = main.dataset.streamUrl;
  const syncUrl = main.dataset.syncUrl;
  const pageUrl = main.dataset.pageUrl;
  let source = null;
  let readyTimer = null;
  let pollTimer = null;
  let polling = false;
  let stopped = false;
  let held = false; // a newer picture waits until the idea field is empty
  let refreshing = null;

  const revision = () => phoneBody()?.dataset.revision || "";
  const key = () => phoneBody()?.dataset.stateKey || "";
  const finished = () => ["ended", "revoked"].includes(phoneBody()?.dataset.phase);

  function stop() {
    stopped = true;
    if (source) source.close();
    source = null;
    clearTimeout(readyTimer);
    clearTimeout(pollTimer);
  }

  // --- Receiving ----------------------------------------------------------------------------

  function handle(state) {
    if (!state || typeof state !== "object") return;
    const body = phoneBody();
    if (state.key === key()) {
      if (body && state.revision !== undefined) body.dataset.revision = String(state.revision);
      return;
    }
    refresh(false);
  }

  function connect() {
    if (!("EventSource" in window)) {
      fallBack();
      return;
    }
    source = new EventSource(streamUrl + "?since=" + encodeURIComponent(revision()));
    readyTimer = setTimeout(fallBack, READY_TIMEOUT_MS);
    source.addEventListener("ready", () => {
      clearTimeout(readyTimer);
      setOnline(true);
    });
    source.addEventListener("message", (event) => {
      setOnline(true);
      try {
        handle(JSON.parse(event.data));
      } catch (error) {
        /* a broken event: the next one or the page's own state will do */
      }
    });
    source.addEventListener("denied", () => {
      stop();
      refresh(true);
    });
    source.addEventListener("error", () => {
      // CLOSED: refused (403, 204 under a server without streams) — poll instead. Otherwise the
      // browser reconnects by itself after the server's retry time.
      if (source && source.readyState === EventSource.CLOSED) fallBack();
      else setOnline(false);
    });
  }

  function fallBack() {
    clearTimeout(readyTimer);
    if (source) source.close();
    source = null;
    if (!polling && !stopped) {
      polling = true;
      schedulePoll(0);
    }
  }

  function schedulePoll(delay) {
    clearTimeout(pollTimer);
    if (stopped) return;
    const wait = delay ?? (document.hidden ? POLL_HIDDEN_MS : POLL_VISIBLE_MS);
    pollTimer = setTimeout(pollOnce, wait);
  }

  async function pollOnce() {
    try {
      const response = await fetch(syncUrl + "?since=" + encodeURIComponent(revision()), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store",
      });
      setOnline(true);
      if (response.status === 200) handle(await response.json());
      else if (response.status === 403) {
        stop();
        refresh(true);
        return;
      }
    } catch (error) {
      setOnline(false);
    }
    schedulePoll();
  }

  document.addEventListener("visibilitychange", () => {
    if (polling && !document.hidden) schedulePoll(0);
  });

  // --- Showing a new picture -------------------------------------------------------------------

  function hold() {
    if (!held) {
      say(msg("held"));
      showAtIdea(msg("held"), false);
    }
    held = true;
  }

  /** Fetch and show the page's current picture; resolves when shown (or held). */
  function refresh(force) {
    if (!force && holdsDraft()) {
      hold();
      return Promise.resolve();
    }
    held = false;
    if (refreshing) return refreshing;
    refreshing = fetch(pageUrl, {
      headers: { "HX-Request": "true", "HX-Target": "phone-body" },
      credentials: "same-origin",
      cache: "no-store",
    })
      .then((response) => {
        if (!response.ok) throw new Error("status " + response.status);
        return response.text();
      })
      .then((html) => {
        // A newer state may have arrived meanwhile and a draft been started: keep it.
        if (!force && holdsDraft()) {
          hold();
          return;
        }
        swap(html);
      })
      .catch(() => {
        setOnline(false);
        setTimeout(() => refresh(force), RETRY_MS);
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  function swap(html) {
    const template = document.createElement("template");
    template.innerHTML = html;
    const fresh = template.content.querySelector("#phone-body");
    const old = phoneBody();
    if (!fresh || !old) return;
    const moved = factorOf(fresh) !== factorOf(old);
    const asked = fresh.querySelector("[data-ask]") && !old.querySelector("[data-ask]");
    old.replaceWith(fresh);
    // Announced, not focused: the reader keeps their place on the page.
    if (moved) {
      const title = fresh.querySelector("h1");
      say(title ? title.textContent.trim() : "");
    } else if (asked) {
      say(fresh.querySelector("[data-ask]").textContent.trim());
    }
    if (finished()) stop();
  }

  // --- Sending ------------------------------------------------------------------------------

  document.addEventListener("input", (event) => {
    if (held && event.target.closest("form[data-phone-form='proposal']") && !holdsDraft()) {
      refresh(false);
    }
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target.closest("form[data-phone-form]");
    if (!form) return;
    event.preventDefault();
    const status = form.querySelector("[data-form-status]");
    const button = form.querySelector("button[type='submit']");
    const show = (text, isError) => {
      if (!status) return;
      status.textContent = text;
      status.classList.toggle("phone-form-status--error", !!isError);
    };
    const data = new URLSearchParams(new FormData(form));
    show(msg("sending"), false);
    if (button) button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: data,
        headers: {
          Accept: "application/json",
          "X-CSRFToken": data.get("csrfmiddlewaretoken") || "",
        },
        credentials: "same-origin",
      });
      const answer = await response.json().catch(() => ({}));
      if (response.status === 403) {
        stop();
        refresh(true);
        return;
      }
      if (!response.ok) {
        show(answer.message || msg("failed"), true);
        return;
      }
      if (form.dataset.phoneForm === "proposal") {
        form.querySelector("textarea").value = "";
        // Shows the idea in the list, and any picture that was held; then says it was sent.
        await refresh(true);
        say(answer.message || "");
        showAtIdea(answer.message || "", false);
      } else {
        show(answer.message || "", false);
        const body = phoneBody();
        if (body && answer.state) body.dataset.stateKey = answer.state.key;
      }
    } catch (error) {
      show(msg("failed"), true);
    } finally {
      if (button) button.disabled = false;
    }
  });

  if (!finished()) connect();
}

const main = document.querySelector("main[data-phone-session]");
if (main && main.dataset.streamUrl) start(main);
