// New PCs: machines that booted but are in no inventory (GET /api/unknown), named by a
// pattern with a live preview and registered (POST /api/register); then the keys that
// wait for acceptance, one by one or for a room (POST /api/accept-key).
import { get, post } from "./api.js";
import { h, fill, when, table } from "./fmt.js";

// "lab300-##", 7 -> "lab300-07": the run of # is the number, zero-padded to its length.
export function patternName(pattern, n) {
  const m = pattern.match(/#+/);
  if (!m) return pattern + n;
  return pattern.slice(0, m.index) + String(n).padStart(m[0].length, "0") + pattern.slice(m.index + m[0].length);
}

function errorBox(e) {
  return h("p", { class: "error", role: "alert" }, (e.status === 501 ? "Not available on this server (HTTP 501): " : "") + e.message);
}

async function unknownSection(box, profiles) {
  let j;
  try { j = await get("/api/unknown"); } catch (e) { fill(box, errorBox(e)); return; }
  const pcs = j.pcs || [];
  if (!pcs.length) { fill(box, h("p", { class: "muted" }, "No unknown PC has booted" + (j.forgotten ? " (" + j.forgotten + " forgotten)" : "") + ".")); return; }
  const checks = pcs.map((p) => h("input", { type: "checkbox", "aria-label": "register " + p.mac, checked: true }));
  const pattern = h("input", { id: "r-pattern", value: "pc-##", required: true });
  const start = h("input", { id: "r-start", type: "number", min: 0, value: 1 });
  const profile = h("select", { id: "r-profile" }, profiles.map((p) => h("option", { value: p.name }, p.name)));
  const room = h("input", { id: "r-room", pattern: "[A-Za-z0-9._-]{1,32}" });
  const names = h("p", { class: "mono preview", "aria-live": "polite" });
  const status = h("p", { role: "status" });
  const chosen = () => pcs.filter((_, k) => checks[k].checked);
  const show = () => {
    const c = chosen();
    names.textContent = c.length ? c.map((p, k) => p.mac + " → " + patternName(pattern.value, Number(start.value) + k)).join("\n") : "No PC chosen.";
  };
  for (const x of [pattern, start, ...checks]) x.addEventListener("input", show);
  const reg = h("button", { type: "submit", class: "primary" }, "Register");
  const form = h("form", { class: "card register" },
    table(null, ["", "MAC", "First seen", "Last seen", "Address", "Boots by", "Seen"],
      pcs.map((p, k) => [checks[k], h("span", { class: "mono" }, p.mac), when(p.first), when(p.last), p.ip || "", p.how || "", String(p.seen ?? "")])),
    h("div", { class: "row" },
      h("div", { class: "field" }, h("label", { for: "r-pattern" }, "Name pattern (# is the number)"), pattern),
      h("div", { class: "field" }, h("label", { for: "r-start" }, "First number"), start),
      h("div", { class: "field" }, h("label", { for: "r-profile" }, "Profile"), profile),
      h("div", { class: "field" }, h("label", { for: "r-room" }, "Room"), room)),
    names, h("div", { class: "buttons" }, reg), status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    reg.disabled = true;
    try {
      const r = await post("/api/register", { macs: chosen().map((p) => p.mac).join(","), pattern: pattern.value,
        start: start.value, profile: profile.value, room: room.value });
      status.textContent = "Registered " + (r.registered || []).map((x) => x.name).join(", ") + " in " + r.file + "; the server reloads.";
    } catch (e) {
      status.textContent = (e.status === 501 ? "Not available on this server (HTTP 501): " : "Refused: ") + e.message;
    } finally { reg.disabled = false; }
  });
  fill(box, form);
  show();
}

async function keysSection(box) {
  let j;
  try { j = await get("/api/machines?per=500"); } catch (e) { fill(box, errorBox(e)); return; }
  const waiting = j.machines.filter((m) => m.key === "differs" || m.key === "awaiting");
  if (!waiting.length) { fill(box, h("p", { class: "muted" }, "No key waits for acceptance.")); return; }
  const status = h("p", { role: "status" });
  const accept = async (fields, path) => {
    try { await post(path, fields); status.textContent = "Accepted."; keysSection(box); } catch (e) { status.textContent = "Refused: " + e.message; }
  };
  const rooms = [...new Set(waiting.map((m) => m.room).filter(Boolean))];
  fill(box, table(null, ["Machine", "Room", "Key", ""], waiting.map((m) => [m.name, m.room || "", m.key,
    h("button", { type: "button", onclick: () => accept({}, "/api/accept-key/" + encodeURIComponent(m.name)) }, "Accept " + m.name + "'s key")])),
  h("div", { class: "buttons" }, rooms.map((r) => h("button", { type: "button", onclick: () => accept({ room: r }, "/api/accept-key") }, "Accept every key of room " + r))),
  status);
}

export async function showNewPcs(main) {
  const u = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const k = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  main.append(h("h1", {}, "New PCs"), h("section", { "aria-labelledby": "u-h" }, h("h2", { id: "u-h" }, "Unknown PCs"), u),
    h("section", { "aria-labelledby": "k-h" }, h("h2", { id: "k-h" }, "Keys waiting"), k));
  let profiles = [];
  try { profiles = await get("/api/profiles"); } catch (e) { /* the list stays empty */ }
  await Promise.all([unknownSection(u, profiles), keysSection(k)]);
}
