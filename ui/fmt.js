// Small helpers every screen shares: building DOM nodes (text only, never markup) and
// formatting bytes, rates, durations and ages.

// h("li", {class: "tile", "aria-label": "pc01"}, child, "text"): an element.  Strings
// become text nodes; attributes starting with "on" are listeners; null/false are skipped.
export function h(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of kids.flat()) {
    if (c === null || c === undefined || c === false) continue;
    e.append(typeof c === "string" || typeof c === "number" ? String(c) : c);
  }
  return e;
}

// An icon of icons.svg by id, hidden from screen readers (a word always goes with it).
export function icon(id) {
  const ns = "http://www.w3.org/2000/svg";
  const s = document.createElementNS(ns, "svg");
  s.setAttribute("class", "icon");
  s.setAttribute("aria-hidden", "true");
  s.setAttribute("focusable", "false");
  const u = document.createElementNS(ns, "use");
  u.setAttribute("href", "/ui/icons.svg#" + id);
  s.append(u);
  return s;
}

// Replace all children of node with kids.
export function fill(node, ...kids) {
  node.replaceChildren(...kids.flat().filter((k) => k !== null && k !== undefined && k !== false));
  return node;
}

const UNITS = ["B", "KB", "MB", "GB", "TB", "PB"];
export function bytes(n) {
  if (n === null || n === undefined) return "";
  let u = 0;
  let v = Number(n);
  while (v >= 1000 && u < UNITS.length - 1) { v /= 1000; u++; }
  return (u === 0 ? String(v) : v.toFixed(v < 10 ? 2 : v < 100 ? 1 : 0)) + " " + UNITS[u];
}

export function rate(bps) {
  return bps ? bytes(bps) + "/s" : "";
}

// Seconds as "3:12", "1:02:03".
export function clock(s) {
  if (s === null || s === undefined) return "";
  s = Math.max(0, Math.round(s));
  const hh = Math.floor(s / 3600), mm = Math.floor((s % 3600) / 60), ss = s % 60;
  const p = (x) => String(x).padStart(2, "0");
  return hh ? hh + ":" + p(mm) + ":" + p(ss) : mm + ":" + p(ss);
}

// Seconds as words for screen readers: "3 minutes", "40 seconds".
export function spoken(s) {
  if (s === null || s === undefined) return "";
  if (s < 90) return Math.round(s) + " seconds";
  if (s < 5400) return Math.round(s / 60) + " minutes";
  return Math.round(s / 3600) + " hours";
}

// A Unix time's age: "5 min ago", "3 d ago".
export function age(t, now) {
  if (!t) return "never";
  const s = Math.max(0, (now || Date.now() / 1000) - t);
  if (s < 60) return "just now";
  if (s < 3600) return Math.floor(s / 60) + " min ago";
  if (s < 86400 * 2) return Math.floor(s / 3600) + " h ago";
  return Math.floor(s / 86400) + " d ago";
}

// A Unix time as the browser's local date and time.
export function when(t) {
  if (!t) return "";
  return new Date(t * 1000).toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}

export function percent(done, total) {
  if (!total) return 0;
  return Math.max(0, Math.min(100, Math.floor((done * 100) / total)));
}

// A table from a header row and rows of cells (strings or nodes).
export function table(caption, heads, rows) {
  return h("div", { class: "scroll" },
    h("table", {},
      caption ? h("caption", { text: caption }) : null,
      h("thead", {}, h("tr", {}, heads.map((x) => h("th", { scope: "col" }, x)))),
      h("tbody", {}, rows.map((r) => h("tr", {}, r.map((c) => h("td", {}, c)))))));
}
