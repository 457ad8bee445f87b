// The server's JSON API (docs/dashboard-api.md): one fetch wrapper that sends the session's
// CSRF token, turns an error answer into its text, and sends a 401 to the login screen.

export const session = { admin: null, csrf: "", origin: "", tz: "", tz_offset: 0 };
let onLogout = () => {};

export function setLogoutHandler(fn) { onLogout = fn; }

// An answer that was not 2xx: status and the server's own words.
export class ApiError extends Error {
  constructor(status, text) {
    super(text || "HTTP " + status);
    this.status = status;
  }
}

async function errorText(res) {
  const t = (await res.text()).trim();
  try {
    const j = JSON.parse(t);
    if (j && (j.error || j.why)) return j.error || j.why;
  } catch (e) { /* plain text */ }
  return t.replace(/^\d{3} /, "") || res.statusText;
}

// GET or POST path; body an object of form fields.  Returns parsed JSON (null for 204).
export async function call(path, fields, method) {
  const opt = { method: method || (fields ? "POST" : "GET"), credentials: "same-origin", headers: {} };
  if (session.csrf) opt.headers["X-Strata-CSRF"] = session.csrf;
  if (fields) {
    opt.body = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== "" && v !== null && v !== undefined));
  }
  let res;
  try {
    res = await fetch(path, opt);
  } catch (e) {
    throw new ApiError(0, "the server cannot be reached: " + e.message);
  }
  if (res.status === 401 && path !== "/api/login") {
    session.admin = null;
    onLogout();
    throw new ApiError(401, await errorText(res));
  }
  if (!res.ok) throw new ApiError(res.status, await errorText(res));
  if (res.status === 204) return null;
  // The older order routes answer a line of text ("deploy pending for pc01").
  if (!(res.headers.get("Content-Type") || "").startsWith("application/json")) return { text: await res.text() };
  const j = await res.json();
  if (res.status === 202) j._accepted = true;
  return j;
}

export const get = (path) => call(path);
export const post = (path, fields) => call(path, fields || {}, "POST");

// Query string of the non-empty fields.
export function qs(fields) {
  const p = new URLSearchParams(Object.entries(fields).filter(([, v]) => v !== "" && v !== null && v !== undefined && v !== false));
  const s = p.toString();
  return s ? "?" + s : "";
}
