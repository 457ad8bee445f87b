// One machine: its tile's state, the full failure reason, manifest parts, the layers it
// deployed, its generations and its orders (GET /api/machine/NAME), kept live by the
// lab's stream (/api/events?room=R): its tile's rows move the state and progress in
// place, once a frame; a change of state, a reload or a stream's (re)start loads it all.
import { get, qs } from "./api.js";
import { h, icon, fill, bytes, rate, clock, when, age, percent, table } from "./fmt.js";
import { setSelectionSource } from "./orders.js";

function summary(m) {
  const run = ["deploying", "capturing", "restoring"].includes(m.state);
  const pc = percent(m.done, m.total);
  const f = h("div", { class: "fill" });
  f.style.transform = "scaleX(" + pc / 100 + ")";
  const g = m.gold || {};
  return h("dl", { class: "facts" },
    h("dt", {}, "State"), h("dd", {}, h("span", { class: "badge state s-" + m.state }, icon(m.state), m.state),
      m.pending && m.pending !== "none" ? " · next boot: " + m.pending : ""),
    run ? [h("dt", {}, "Progress"), h("dd", {}, h("div", { class: "bar wide", role: "progressbar", "aria-label": "progress",
      "aria-valuemin": 0, "aria-valuemax": 100, "aria-valuenow": pc }, f),
      pc + "% · " + bytes(m.done) + " of " + bytes(m.total) + (m.rate ? " · " + rate(m.rate) : "") +
      (m.eta !== null && m.eta !== undefined ? " · " + clock(m.eta) + " left" : ""))] : null,
    m.mc_bytes || m.repair_bytes ? [h("dt", {}, "Multicast"), h("dd", {},
      bytes(m.mc_bytes || 0) + " by multicast · " + bytes(m.repair_bytes || 0) + " by repair (HTTP)")] : null,
    h("dt", {}, "MAC"), h("dd", { class: "mono" }, m.mac),
    h("dt", {}, "Profile"), h("dd", {}, m.profile || ""),
    h("dt", {}, "Room"), h("dd", {}, m.room || "none"),
    h("dt", {}, "Gold"), h("dd", {}, g.current === true ? "current" : g.current === false ? (m.never ? "never imaged" : "behind") : "unknown",
      g.layers ? h("span", { class: "muted mono" }, " · " + g.layers) : null),
    h("dt", {}, "Last capture"), h("dd", {}, m.last_capture ? when(m.last_capture) + " (" + age(m.last_capture) + ")" : "never"),
    h("dt", {}, "Secure Boot"), h("dd", {}, m.secure_boot || "not reported"),
    h("dt", {}, "Key"), h("dd", {}, m.key || ""),
    h("dt", {}, "Last report"), h("dd", {}, m.updated ? when(m.updated) + (m.message ? ": " + m.message : "") : "none"));
}

function failure(m) {
  if (!m.failure) return null;
  const pre = h("pre", { class: "failure-text", id: "failure-text" });
  pre.textContent = m.failure.message || "";
  return h("section", { class: "failure card", "aria-labelledby": "fail-h" },
    h("h2", { id: "fail-h" }, icon("failed"), "Failed " + when(m.failure.at)), pre);
}

function manifest(mf) {
  if (!mf) return null;
  return h("section", {}, h("h2", {}, "Partitions (manifest v" + mf.version + ")"),
    table(null, ["Label", "Type", "Size", "Policy", "Layer", "Wipe", "Capture"],
      (mf.parts || []).map((p) => [p.label, p.type, p.size ? bytes(p.size) : "rest of the disk", p.policy,
        h("span", { class: "mono" }, p.layer ? String(p.layer).slice(0, 16) : "—"), p.wipe ? "yes" : "no", p.capture ? "yes" : "no"])));
}

function deployed(list) {
  if (!Array.isArray(list) || !list.length) return h("section", {}, h("h2", {}, "Deployed"), h("p", { class: "muted" }, "No layer recorded as deployed."));
  return h("section", {}, h("h2", {}, "Deployed"),
    table(null, ["Partition", "Layer", "Manifest", "When"],
      list.map((d) => [d.part, h("span", { class: "mono" }, String(d.layer).slice(0, 16)), "v" + d.version, when(d.at)])));
}

function generations(g) {
  const parts = (g && g.partitions) || [];
  const rows = [];
  for (const p of parts) for (const x of p.generations) rows.push([p.part, "#" + x.number, when(x.at), bytes(x.size), bytes(x.stored), x.source || ""]);
  return h("section", {}, h("h2", {}, "Generations"),
    rows.length ? table(null, ["Partition", "Number", "Committed", "Size", "Stored", "Source"], rows)
      : h("p", { class: "muted" }, "No captured generation."));
}

function ordersTable(name, list) {
  const body = h("tbody");
  const add = (os) => { for (const o of os) body.append(h("tr", {}, [when(o.at), o.action, o.target || "", o.by + " (" + o.via + ")",
    o.outcome ? h("span", { class: "outcome o-" + o.outcome }, o.outcome) : "open",
    o.seconds !== null && o.seconds !== undefined ? clock(o.seconds) : "", h("span", { class: "msg-cell" }, o.message || "")].map((c) => h("td", {}, c)))); };
  add(list);
  const more = h("button", { type: "button", hidden: list.length < 50 }, "Older orders");
  more.addEventListener("click", async () => {
    const last = body.lastElementChild && list.length ? list[list.length - 1].id : 0;
    const j = await get("/api/machine/" + encodeURIComponent(name) + qs({ before: last }));
    list = j.orders || [];
    add(list);
    more.hidden = list.length < 50;
  });
  return h("section", {}, h("h2", {}, "Orders"),
    list.length ? h("div", { class: "scroll" }, h("table", {}, h("thead", {}, h("tr", {},
      ["When", "Action", "Target", "By", "Outcome", "Took", "Message"].map((x) => h("th", { scope: "col" }, x)))), body))
      : h("p", { class: "muted" }, "No order named this machine."), more);
}

const live = { name: "", m: null, box: null, facts: null, es: null, raf: 0, due: null, loading: false, again: false };

// Load the whole page again; one load at a time, the last word wins.
async function load() {
  if (live.loading) { live.again = true; return; }
  const name = live.name, box = live.box;
  let m = null, err = null;
  live.loading = true;
  try { m = await get("/api/machine/" + encodeURIComponent(name)); } catch (e) { err = e; }
  live.loading = false;
  if (live.again) { live.again = false; load(); return; }
  if (live.name !== name) return;
  if (err) { fill(box, h("p", { class: "error", role: "alert" }, err.message)); return; }
  live.m = m;
  live.facts = summary(m);
  fill(box, failure(m), live.facts, manifest(m.manifest), deployed(m.deployed), generations(m.generations), ordersTable(m.name, m.orders || []));
  if (!document.hidden) openStream();
}

// Apply the stream's fields once a frame: the state and progress in place, or a load
// when the state changed (its failure, outcome and layers come with the whole page).
function flush() {
  live.raf = 0;
  const d = live.due, m = live.m;
  live.due = null;
  if (!d || !m) return;
  const changed = d.state !== undefined && d.state !== m.state;
  Object.assign(m, d);
  const f = summary(m);
  live.facts.replaceWith(f);
  live.facts = f;
  if (changed) load();
}

function due(fields) {
  live.due = Object.assign(live.due || {}, fields);
  if (!live.raf) live.raf = requestAnimationFrame(flush);
}

// One stream, for the machine's room (a reload may have moved it).
function openStream() {
  const room = live.m.room || "";
  if (live.es && live.esRoom === room) return;
  closeStream();
  const es = new EventSource("/api/events" + qs({ room }));
  live.es = es;
  live.esRoom = room;
  const data = (ev) => { try { return JSON.parse(ev.data); } catch (e) { return null; } };
  // Frames between the load and the stream's start, or while it reconnected, are not
  // replayed: each hello loads the page again.
  es.addEventListener("hello", () => load());
  es.addEventListener("tiles", (ev) => {
    const d = data(ev);
    for (const [i, state, done, total, r, eta, pending] of (d && d.t) || [])
      if (live.m && i === live.m.i) due({ state, done, total, rate: r, eta, pending });
  });
  es.addEventListener("machine", (ev) => { const d = data(ev); if (d && live.m && d.i === live.m.i && d.name === live.m.name) due(d); });
  es.addEventListener("reload", () => load());
  es.addEventListener("end", () => { leaveMachine(); location.hash = "#/login"; });
  es.addEventListener("error", () => {
    if (es.readyState === EventSource.CLOSED && live.es === es) { live.es = null; get("/api/session").catch(() => {}); }
  });
}

function closeStream() {
  if (live.es) live.es.close();
  live.es = null;
}

document.addEventListener("visibilitychange", () => {
  if (!live.name) return;
  if (document.hidden) closeStream();
  else load();
});

export function leaveMachine() {
  live.name = "";
  live.m = null;
  closeStream();
  if (live.raf) cancelAnimationFrame(live.raf);
  live.raf = 0;
}

export async function showMachine(main, name) {
  const head = h("h1", {}, name);
  const box = h("div", { class: "machine" }, h("p", { class: "muted" }, "Loading…"));
  main.append(h("p", { class: "crumbs" }, h("a", { href: "#/lab" }, "← Lab")), head, box);
  setSelectionSource({ kind: "machine", name });
  leaveMachine();
  Object.assign(live, { name, box, due: null, again: false });
  await load();
}
