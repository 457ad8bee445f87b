// Orders: a fixed action bar over the selected machines, and a <dialog> that shows the
// server's preview (POST /api/orders/preview) and confirms it with one button naming the
// count (POST /api/orders preview=ID).  A server without previews (501) is said so, and a
// deploy may then go by the older POST /api/deploy/NAME.
import { post, session, ApiError } from "./api.js";
import { h, fill, bytes, table, when } from "./fmt.js";

export const selection = new Set();
let source = null;   // {kind: "lab"} or {kind: "machine", name}
let bar, dialog, countEl;

// [action, button, confirm verb]
const ACTIONS = [["deploy", "Deploy", "Reimage"], ["capture", "Capture", "Capture"],
  ["capture-gold", "Capture as gold", "Capture"], ["replace", "Replace", "Replace"],
  ["restore", "Restore", "Restore"], ["boot-local", "Boot local", "Boot locally"],
  ["cancel", "Cancel orders", "Cancel orders of"], ["wake", "Wake", "Wake"]];

function targets() {
  if (!source) return [];
  return source.kind === "machine" ? [source.name] : [...selection].sort();
}

export function setSelectionSource(src) {
  source = src;
  if (bar) bar.hidden = !src;
  document.body.classList.toggle("has-bar", !!src);
  refreshBar();
}

export function refreshBar() {
  if (!bar) return;
  const n = targets().length;
  countEl.textContent = source && source.kind === "machine" ? "Order " + source.name
    : n ? n + " selected" : "Select machines to order";
  for (const b of bar.querySelectorAll("button[data-action]")) b.disabled = n === 0;
  const clear = bar.querySelector(".clear");
  clear.hidden = !source || source.kind !== "lab" || n === 0;
}

const plural = (n) => n + (n === 1 ? " machine" : " machines");

function field(id, label, input) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

// The fields an action takes beyond its machines.
function paramFields(action, names) {
  switch (action) {
    case "capture-gold":
      return [field("o-as", "Profile to capture as", h("input", { name: "as", required: true, pattern: "[A-Za-z0-9._-]+" })),
        h("label", { class: "inline" }, h("input", { type: "checkbox", name: "prepared", value: "yes" }), " Generalized (prepared for imaging)")];
    case "replace":
      return [field("o-mac", "New MAC of " + names[0], h("input", { name: "mac", required: true, pattern: "([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", placeholder: "52:54:00:12:34:56" }))];
    case "restore":
      return [field("o-gen", "Generation number", h("input", { name: "generation", type: "number", min: 1, required: true }))];
    case "deploy":
      return [h("label", { class: "inline" }, h("input", { type: "checkbox", name: "force", value: "yes" }), " Force (even when current)")];
    default:
      return [];
  }
}

function scheduleFields() {
  const at = h("input", { type: "datetime-local", name: "at", id: "o-at" });
  return h("fieldset", { class: "schedule" }, h("legend", {}, "Schedule…"),
    h("label", { for: "o-at" }, "Run at (server time" + (session.tz ? ", " + session.tz : "") + "; empty: now)"), at,
    h("label", { class: "inline" }, h("input", { type: "checkbox", name: "wake", value: "yes" }), " Wake the machines first"));
}

function formFields(form, action, names) {
  const f = { action: action === "capture-gold" ? "capture" : action };
  if (source && source.kind === "room") f.room = source.room;
  else f.machines = names.join(",");
  for (const el of form.elements) {
    if (!el.name || el.disabled) continue;
    if (el.type === "checkbox") { if (el.checked) f[el.name] = el.value; } else if (el.value) f[el.name] = el.value;
  }
  return f;
}

// A scheduled time: Unix seconds (shown in the browser's zone) or the server's text.
const atText = (t) => typeof t === "number" ? when(t) : String(t);

// A preview's partitions: a list of labels, or a count.
const list = (x) => Array.isArray(x) ? x.join(", ") || "—" : x === null || x === undefined ? "—" : String(x);

function previewTable(p) {
  const rows = (p.machines || []).map((m) => [m.name, h("span", { class: "num" }, bytes(m.bytes)), String(m.chunks ?? ""),
    list(m.written), list(m.kept), list(m.restored),
    m.user_data === "overwritten" ? h("strong", { class: "danger" }, "overwritten") : (m.user_data || ""), m.note || ""]);
  return table("What each machine gets", ["Machine", "Bytes", "Chunks", "Written", "Kept", "Restored", "User data", "Note"], rows);
}

// Deploy by the route that predates previews, one machine at a time.
async function deployOld(names, out) {
  const done = [];
  for (const n of names) {
    try { await post("/api/deploy/" + encodeURIComponent(n)); done.push(n); } catch (e) { out.push(n + ": " + e.message); }
  }
  return done;
}

function showError(box, e) {
  fill(box, h("p", { class: "error", role: "alert" },
    (e.status === 501 ? "Not available on this server (HTTP 501): " : "Refused: ") + e.message));
}

async function doPreview(form, action, names, verb, body) {
  const res = h("div", { class: "result" });
  fill(body, res);
  let p;
  try {
    p = await post("/api/orders/preview", formFields(form, action, names));
  } catch (e) {
    showError(res, e);
    if (e.status === 501 && action === "deploy") res.append(oldDeploy(names));
    return;
  }
  const n = (p.machines || []).length;
  const confirm = h("button", { type: "button", class: "primary", id: "order-confirm", disabled: n === 0 },
    verb + " " + plural(n) + (p.at ? " at " + atText(p.at) : ""));
  const status = h("p", { role: "status" });
  confirm.addEventListener("click", async () => {
    confirm.disabled = true;
    try {
      const j = await post("/api/orders", { preview: p.preview });
      status.textContent = j.scheduled ? "Scheduled (order " + j.scheduled + ")." : "Ordered: " + plural(j.marked ?? n) + " marked.";
      setTimeout(() => dialog.close(), 1200);
    } catch (e) {
      status.textContent = (e.status === 409 ? "The lab changed since the preview: preview again. " : "Refused: ") + e.message;
    }
  });
  fill(res, h("p", {}, "Total: ", h("strong", {}, bytes(p.total_bytes)), " to send to " + plural(n) +
      (p.at ? ", at " + atText(p.at) : "") + "."),
    previewTable(p),
    (p.refused || []).length ? h("div", { class: "refused" }, h("h3", {}, "Refused"),
      h("ul", {}, p.refused.map((r) => h("li", {}, r.name + ": " + r.why)))) : null,
    h("div", { class: "buttons" }, confirm, h("button", { type: "button", onclick: () => dialog.close() }, "Cancel")), status);
  confirm.focus();
}

function oldDeploy(names) {
  const status = h("p", { role: "status" });
  const b = h("button", { type: "button", class: "primary", id: "order-confirm" }, "Reimage " + plural(names.length) + " without a preview");
  b.addEventListener("click", async () => {
    b.disabled = true;
    const errs = [];
    const done = await deployOld(names, errs);
    status.textContent = errs.length ? "Refused: " + errs.join("; ") + (done.length ? " (ordered: " + done.join(", ") + ")" : "")
      : "Ordered by POST /api/deploy: " + plural(done.length) + ".";
    if (!errs.length) setTimeout(() => dialog.close(), 1200);
  });
  return h("div", {}, h("p", {}, "Each machine can still be deployed the older way, without the preview of what it gets:"),
    h("div", { class: "buttons" }, b), status);
}

function openOrder(action, label, verb) {
  const names = targets();
  if (!names.length) return;
  const body = h("div", { class: "dialog-body" });
  const form = h("form", { method: "dialog", class: "order-form" },
    h("p", {}, label + ": " + (names.length <= 6 ? names.join(", ") : names.slice(0, 5).join(", ") + " and " + (names.length - 5) + " more")),
    paramFields(action, names), scheduleFields(),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Preview"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel")));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); doPreview(form, action, names, verb, body); });
  fill(dialog, h("h2", { id: "order-title" }, label + " · " + plural(names.length)), form, body);
  dialog.showModal();
}

export function initOrders() {
  bar = document.getElementById("actionbar");
  dialog = document.getElementById("order-dialog");
  countEl = h("span", { class: "count", "aria-live": "off" });
  fill(bar, countEl,
    h("div", { class: "actions" }, ACTIONS.map(([a, label, verb]) =>
      h("button", { type: "button", "data-action": a, onclick: () => openOrder(a, label, verb) }, label))),
    h("button", { type: "button", class: "clear", onclick: () => {
      selection.clear();
      for (const c of document.querySelectorAll(".tile input[type=checkbox]")) c.checked = false;
      refreshBar();
    } }, "Clear"));
  setSelectionSource(null);
}

export { ApiError };
