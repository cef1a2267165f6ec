/**
 * fetch with a timeout that never rejects: it resolves to {network: true} when no answer came,
 * or to {status, json, login, date, syncToken}. A redirect (to the login page) counts as 401.
 */

const REQUEST_TIMEOUT_MS = 30000;

export function request(url, init) {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  const options = Object.assign(
    { credentials: "same-origin", redirect: "manual", cache: "no-store" },
    init,
    { signal: controller.signal }
  );
  return fetch(url, options)
    .then((res) => {
      if (res.type === "opaqueredirect" || (res.status >= 300 && res.status < 400)) {
        return { status: 401, json: null, login: true, date: null, syncToken: null };
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
          json: json && typeof json === "object" ? json : null,
          login: false,
          date: res.headers.get("Date"),
          syncToken: res.headers.get("X-Sync-Token"),
        };
      });
    })
    .catch(() => ({ network: true }))
    .finally(() => clearTimeout(timer));
}

export function jsonHeaders(csrf) {
  const headers = { Accept: "application/json", "X-Requested-With": "fetch" };
  if (csrf) headers["X-CSRFToken"] = csrf;
  return headers;
}
