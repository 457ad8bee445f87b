// Orders: a fixed action bar over the selected machines, and a <dialog> that shows the
// server's preview (POST /api/orders/preview) and confirms it with one button naming the
// count (POST /api/orders preview=ID).  A room picked whole, or a selection that is all of
// one room's machines, is ordered as the room (room=R: one audit row, target room:R).  A
// server without previews (501) is said so, and a deploy of named machines may then go by
// the older POST /api/deploy/NAME.
import { post, session, ApiError } from "./api.js";
import { h, fill, bytes, table, when } from "./fmt.js";

export const selection = new Map();   // the names picked on the lab -> their room (null: none)
export const roomSizes = new Map();   // room -> its machines, from the lab's last load
let roomPick = "";                    // a room picked whole ("Select room"), or ""
let source = null;   // {kind: "lab"} or {kind: "machine", name}
let bar, dialog, countEl;

// [action, button, confirm verb]
const ACTIONS = [["deploy", "Deploy", "Reimage"], ["capture", "Capture", "Capture"],
  ["capture-gold", "Capture as gold", "Capture"], ["replace", "Replace", "Replace"],
  ["restore", "Restore", "Restore"], ["boot-local", "Boot local", "Boot locally"],
  ["cancel", "Cancel orders", "Cancel orders of"], ["wake", "Wake", "Wake"]];

// Pick a room whole (the lab's "Select room"), or "" for none; the names picked go.
export function pickRoom(room) {
  roomPick = room;
  selection.clear();
  refreshBar();
}
export const pickedRoom = () => roomPick;

// What an order names: {room, n, names}.  A room when one was picked whole or when the
// names picked are every machine of one room (as the lab last counted it): the server
// then resolves room=R itself, so no list of names is sent.
function target() {
  if (!source) return { room: "", n: 0, names: [] };
  if (source.kind === "machine") return { room: "", n: 1, names: [source.name] };
  if (roomPick) return { room: roomPick, n: roomSizes.get(roomPick) || 0, names: [] };
  const names = [...selection.keys()].sort();
  const rooms = new Set(selection.values());
  const r = rooms.size === 1 ? [...rooms][0] : null;
  return { room: r && roomSizes.get(r) === names.length ? r : "", n: names.length, names };
}

const roomText = (r, n) => "room " + r + " (" + plural(n) + ")";

export function setSelectionSource(src) {
  source = src;
  if (bar) bar.hidden = !src;
  document.body.classList.toggle("has-bar", !!src);
  refreshBar();
}

export function refreshBar() {
  if (!bar) return;
  const tg = target(), n = tg.n || (tg.room ? 1 : 0);
  countEl.textContent = source && source.kind === "machine" ? "Order " + source.name
    : tg.room ? "Order " + roomText(tg.room, tg.n) : n ? n + " selected" : "Select machines to order";
  for (const b of bar.querySelectorAll("button[data-action]")) b.disabled = n === 0;
  const clear = bar.querySelector(".clear");
  clear.hidden = !source || source.kind !== "lab" || n === 0;
  bar.classList.toggle("room", !!tg.room);
}

const plural = (n) => n + (n === 1 ? " machine" : " machines");

function field(id, label, input) {
  input.id = id;
  return h("div", { class: "field" }, h("label", { for: id }, label), input);
}

// The fields an action takes beyond its machines.
function paramFields(action, tg) {
  switch (action) {
    case "capture-gold":
      return [field("o-as", "Profile to capture as", h("input", { name: "as", required: true, pattern: "[A-Za-z0-9._-]+" })),
        h("label", { class: "inline" }, h("input", { type: "checkbox", name: "prepared", value: "yes" }), " Generalized (prepared for imaging)")];
    case "replace":
      return [field("o-mac", "New MAC of " + (tg.names[0] || "the machine"), h("input", { name: "mac", required: true, pattern: "([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}", placeholder: "52:54:00:12:34:56" }))];
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

function formFields(form, action, tg) {
  const f = { action: action === "capture-gold" ? "capture" : action };
  if (tg.room) f.room = tg.room;
  else f.machines = tg.names.join(",");
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

// Whom the preview names: the server's target (room:R, all or the list), in words.
function previewTarget(p, tg) {
  const t = typeof p.target === "string" ? p.target : tg.room ? "room:" + tg.room : "";
  const n = (p.machines || []).length + (p.refused || []).length;
  if (t.startsWith("room:"))
    return h("p", { class: "target" }, "For ", h("strong", {}, roomText(t.slice(5), n)), ": one order, audited as " + t + ".");
  return h("p", { class: "target" }, "For " + (t === "all" ? "every machine of the lab (" + plural(n) + ")" : plural(n)) + ".");
}

async function doPreview(form, action, tg, verb, body) {
  const res = h("div", { class: "result" });
  fill(body, res);
  let p;
  try {
    p = await post("/api/orders/preview", formFields(form, action, tg));
  } catch (e) {
    showError(res, e);
    if (e.status === 501 && action === "deploy" && tg.names.length) res.append(oldDeploy(tg.names));
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
  fill(res, previewTarget(p, tg), h("p", {}, "Total: ", h("strong", {}, bytes(p.total_bytes)), " to send to " + plural(n) +
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
  const tg = target(), names = tg.names;
  if (!names.length && !tg.room) return;
  const body = h("div", { class: "dialog-body" });
  const form = h("form", { method: "dialog", class: "order-form" },
    h("p", {}, label + ": " + (tg.room ? roomText(tg.room, tg.n) + ", as the server counts it at the preview"
      : names.length <= 6 ? names.join(", ") : names.slice(0, 5).join(", ") + " and " + (names.length - 5) + " more")),
    paramFields(action, tg), scheduleFields(),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "primary" }, "Preview"),
      h("button", { type: "button", onclick: () => dialog.close() }, "Cancel")));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); doPreview(form, action, tg, verb, body); });
  fill(dialog, h("h2", { id: "order-title" }, label + " · " + (tg.room ? "room " + tg.room : plural(names.length))), form, body);
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
      roomPick = "";
      selection.clear();
      for (const c of document.querySelectorAll(".tile input[type=checkbox], .room-pick input, #select-page")) c.checked = false;
      refreshBar();
    } }, "Clear"));
  setSelectionSource(null);
}

export { ApiError };
