// The lab: a strip of counts (each a filter), search, filter chips, then the rooms as
// sections of fixed-size tiles, 200 a page, kept live by one EventSource whose frames are
// applied in one requestAnimationFrame.
import { get, qs } from "./api.js";
import { h, icon, fill, rate, clock, spoken, percent } from "./fmt.js";
import { selection, roomSizes, pickRoom, pickedRoom, refreshBar, setSelectionSource } from "./orders.js";

const PER = 200;
const STATES = ["failed", "deploying", "capturing", "restoring", "queued", "idle"];
const st = { room: "", q: "", filter: "", stale: 30, page: 1, gen: 0, seq: 0, total: 0,
  tiles: new Map(), roomBoxes: new Map(), es: null, due: new Map(), raf: 0, counts: null, lastSpoken: 0, root: null };

// What the counts strip and chips offer: [filter, label, counted from counts].
const STRIP = [["", "All", (c) => c.total], ["failed", "Failed", (c) => c.failed],
  ["running", "Running", (c) => c.deploying + c.capturing + c.restoring],
  ["pending", "Queued", (c) => c.queued], [null, "Idle", (c) => c.idle]];
const CHIPS = [["behind", "Behind gold"], ["never", "Never imaged"], ["stale", "Capture older than"]];

function matches(m, f) {
  switch (f) {
    case "failed": return m.state === "failed";
    case "running": return ["deploying", "capturing", "restoring"].includes(m.state);
    case "pending": return m.state === "queued";
    default: return true;
  }
}

// A capture's age in a tile's few characters: "now", "12m", "5h", "3d", "never".
function shortAge(t) {
  if (!t) return "never";
  const s = Math.max(0, Date.now() / 1000 - t);
  return s < 60 ? "now" : s < 3600 ? Math.floor(s / 60) + "m" : s < 172800 ? Math.floor(s / 3600) + "h" : Math.floor(s / 86400) + "d";
}

function tileLabel(m) {
  const p = [m.name, m.state];
  if (["deploying", "capturing", "restoring"].includes(m.state) && m.total) {
    p.push(percent(m.done, m.total) + " percent");
    if (m.eta !== null && m.eta !== undefined) p.push(spoken(m.eta) + " left");
  }
  if (m.gold && m.gold.current === false) p.push(m.never ? "never imaged" : "behind gold");
  if (m.gold && m.gold.current === true) p.push("gold current");
  return p.join(", ");
}

// A tile's box changed.  A room picked whole becomes the names still checked on the page.
function tileToggled(t) {
  if (pickedRoom()) {
    pickRoom("");
    for (const x of st.tiles.values()) if (x.check.checked) selection.set(x.m.name, x.m.room);
    syncRoomBoxes();
  } else if (t.check.checked) selection.set(t.m.name, t.m.room);
  else selection.delete(t.m.name);
  refreshBar();
}

// "Select room": the whole room R (room=R, every machine of it, on this page or not).
function roomToggled(r, box) {
  pickRoom(box.checked ? r : "");
  for (const t of st.tiles.values()) t.check.checked = box.checked && t.m.room === r;
  st.pageSel.checked = false;
  syncRoomBoxes();
  refreshBar();
}

function syncRoomBoxes() {
  for (const [r, boxes] of st.roomBoxes) for (const b of boxes) b.checked = pickedRoom() === r;
}

// A room's heading and its "Select room" box (none for machines without a room: the
// server orders a room by name).
function roomHead(room, rc) {
  const n = rc.total || 0;
  const head = h("h2", {}, room || "No room", h("span", { class: "muted" }, " · " + n + (n === 1 ? " machine" : " machines") +
    (rc.failed ? ", " + rc.failed + " failed" : "")));
  if (!room) return h("div", { class: "room-head" }, head);
  const box = h("input", { type: "checkbox", "aria-label": "select room " + room + ", all " + n + (n === 1 ? " machine" : " machines"),
    onchange: () => roomToggled(room, box) });
  box.checked = pickedRoom() === room;
  if (!st.roomBoxes.has(room)) st.roomBoxes.set(room, []);
  st.roomBoxes.get(room).push(box);
  return h("div", { class: "room-head" }, head, h("label", { class: "inline room-pick" }, box, " Select room"));
}

// A tile's nodes, built once; update() fills them in place (no layout change).
function makeTile(m) {
  const t = { m };
  t.check = h("input", { type: "checkbox", id: "sel-" + m.i, "aria-label": "select " + m.name,
    onchange: () => tileToggled(t) });
  t.check.checked = selection.has(m.name) || (!!m.room && pickedRoom() === m.room);
  t.badge = h("span", { class: "badge state" });
  t.fill = h("div", { class: "fill" });
  t.bar = h("div", { class: "bar", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100,
    "aria-label": m.name + " progress" }, t.fill);
  t.rate = h("span", { class: "rate" });
  t.eta = h("span", { class: "eta" });
  t.pct = h("span", { class: "pct" });
  t.gold = h("span", { class: "gold" });
  t.cap = h("span", { class: "cap" });
  t.sb = h("span", { class: "sb" });
  t.msg = h("p", { class: "msg" });
  t.li = h("li", { class: "tile", "data-name": m.name },
    h("div", { class: "t-head" }, t.check, h("a", { href: "#/m/" + encodeURIComponent(m.name), class: "t-name" }, m.name), t.badge),
    t.bar, h("div", { class: "t-nums" }, t.rate, t.eta, t.pct),
    h("div", { class: "t-meta" }, t.gold, t.cap, t.sb), t.msg);
  update(t);
  return t;
}

function update(t) {
  const m = t.m;
  const run = ["deploying", "capturing", "restoring"].includes(m.state);
  const pc = percent(m.done, m.total);
  t.li.className = "tile s-" + m.state + (st.filter && !matches(m, st.filter) ? " left" : "");
  t.li.setAttribute("aria-label", tileLabel(m));
  fill(t.badge, icon(m.state), m.state);
  t.fill.style.transform = "scaleX(" + (run || m.state === "failed" ? pc / 100 : m.state === "idle" && !m.never ? 1 : 0) + ")";
  t.bar.setAttribute("aria-valuenow", String(run ? pc : m.state === "idle" && !m.never ? 100 : 0));
  t.rate.textContent = run ? rate(m.rate) : "";
  t.eta.textContent = run && m.eta !== null && m.eta !== undefined ? clock(m.eta) + " left" : "";
  t.pct.textContent = run && m.total ? pc + "%" : "";
  const g = m.gold || {};
  fill(t.gold, icon("gold"), g.current === true ? "current" : g.current === false ? (m.never ? "never" : "behind") : "unknown");
  t.gold.className = "gold " + (g.current === true ? "ok" : g.current === false ? "behind" : "");
  t.cap.textContent = "cap " + shortAge(m.last_capture);
  t.cap.title = "last capture: " + (m.last_capture ? new Date(m.last_capture * 1000).toLocaleString() : "never");
  fill(t.sb, icon("shield"), m.secure_boot === "enforcing" ? "SB on" : m.secure_boot === "setup" ? "SB setup" : m.secure_boot === "off" ? "SB off" : "SB ?");
  t.sb.title = "Secure Boot: " + (m.secure_boot || "not reported");
  t.msg.textContent = m.message || (m.pending && m.pending !== "none" ? "next boot: " + m.pending : "");
}

// Apply what the stream brought, once a frame.
function flush() {
  st.raf = 0;
  for (const [i, m] of st.due) {
    const t = st.tiles.get(i);
    if (!t) continue;
    Object.assign(t.m, m);
    update(t);
  }
  st.due.clear();
}

function due(i, fields) {
  st.due.set(i, Object.assign(st.due.get(i) || {}, fields));
  if (!st.raf) st.raf = requestAnimationFrame(flush);
}

function speak(c) {
  const now = Date.now();
  if (now - st.lastSpoken < 10000) return;
  st.lastSpoken = now;
  const live = document.getElementById("live");
  live.textContent = "Lab: " + STATES.filter((s) => c[s]).map((s) => c[s] + " " + s).join(", ");
}

// Load again on the stream's word, at most every 2 s.
function reload() {
  const now = Date.now();
  if (st.reloadTimer) return;
  if (now - (st.lastReload || 0) < 2000) { st.reloadTimer = setTimeout(() => { st.reloadTimer = 0; reload(); }, 2000); return; }
  st.lastReload = now;
  load();
}

// One stream per tab, for the room shown; kept across loads of the same room, since a
// closed stream holds its server connection until the next frame or ping.
function openStream() {
  if (st.es && st.esRoom === st.room) return;
  closeStream();
  const es = new EventSource("/api/events" + qs({ room: st.room }));
  st.es = es;
  st.esRoom = st.room;
  const data = (ev) => { try { return JSON.parse(ev.data); } catch (e) { return null; } };
  // A frame made from another catalog than the tiles': their indexes mean other machines.
  es.addEventListener("hello", (ev) => { const d = data(ev); if (d && d.gen && d.gen !== st.gen) reload(); });
  es.addEventListener("tiles", (ev) => {
    const d = data(ev);
    if (!d || d.seq <= st.seq) return;
    for (const [i, state, done, total, r, eta, pending] of d.t)
      due(i, { state, done, total, rate: r, eta, pending });
  });
  es.addEventListener("machine", (ev) => { const d = data(ev); if (d) due(d.i, d); });
  es.addEventListener("summary", (ev) => { const d = data(ev); if (d && d.counts) { st.counts = d.counts; strip(); speak(d.counts); } });
  es.addEventListener("reload", () => reload());
  es.addEventListener("end", () => { closeStream(); location.hash = "#/login"; });
  // A stream the server refused (the session gone: 401) is not retried by the browser:
  // ask who we are, which sends a 401 to the login screen.
  es.addEventListener("error", () => {
    if (es.readyState === EventSource.CLOSED && st.es === es) { st.es = null; get("/api/session").catch(() => {}); }
  });
}

function closeStream() {
  if (st.es) st.es.close();
  st.es = null;
}

function onVisible() {
  if (!st.root) return;
  if (document.hidden) closeStream();
  else load();
}
document.addEventListener("visibilitychange", onVisible);

// The counts strip and chips, pressed by the current filter.
function strip() {
  const c = st.counts;
  if (!c || !st.stripEl) return;
  fill(st.stripEl, STRIP.map(([f, label, n]) => h("li", {},
    f === null ? h("span", { class: "count" }, h("b", {}, String(n(c))), " " + label)
      : h("button", { type: "button", class: "count", "aria-pressed": String(st.filter === f),
        onclick: () => setFilter(f) }, h("b", {}, String(n(c))), " " + label))));
}

function setFilter(f) {
  st.filter = st.filter === f ? "" : f;
  st.page = 1;
  load();
}

function controls() {
  const search = h("input", { id: "search", type: "search", placeholder: "Search names  ( / )", value: st.q,
    autocomplete: "off", "aria-keyshortcuts": "/" });
  let timer = 0;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { st.q = search.value.replace(/[^A-Za-z0-9-]/g, ""); st.page = 1; load(); }, 250);
  });
  st.roomSel = h("select", { id: "room", onchange: () => { st.room = st.roomSel.value; st.page = 1; load(); } });
  const stale = h("input", { id: "stale-days", type: "number", min: 1, max: 3650, value: st.stale, class: "days",
    onchange: () => { st.stale = Number(stale.value) || 30; if (st.filter === "stale") load(); } });
  st.chipEls = CHIPS.map(([f, label]) => h("button", { type: "button", class: "chip", "aria-pressed": String(st.filter === f),
    onclick: () => setFilter(f) }, label));
  const pageSel = h("input", { type: "checkbox", id: "select-page", onchange: () => {
    if (pickedRoom()) { pickRoom(""); syncRoomBoxes(); }
    for (const t of st.tiles.values()) { t.check.checked = pageSel.checked; if (pageSel.checked) selection.set(t.m.name, t.m.room); else selection.delete(t.m.name); }
    refreshBar();
  } });
  st.pageSel = pageSel;
  return h("div", { class: "controls" },
    h("div", { class: "field" }, h("label", { for: "search" }, "Search"), search),
    h("div", { class: "field" }, h("label", { for: "room" }, "Room"), st.roomSel),
    h("details", { class: "filters", open: window.matchMedia("(min-width: 40rem)").matches },
      h("summary", {}, "Filters"),
      h("div", { class: "chips", role: "group", "aria-label": "Filters" }, st.chipEls[0], st.chipEls[1], st.chipEls[2],
        h("label", { for: "stale-days", class: "inline" }, stale, " days"))),
    h("label", { class: "inline selpage", for: "select-page" }, pageSel, " Select this page"));
}

function rooms(list) {
  const keep = st.room;
  roomSizes.clear();
  for (const r of list) if (r.name) roomSizes.set(r.name, r.counts.total);
  fill(st.roomSel, h("option", { value: "" }, "All rooms"),
    list.map((r) => h("option", { value: r.name }, (r.name || "(no room)") + " · " + r.counts.total)));
  st.roomSel.value = keep;
}

function pager() {
  const pages = Math.max(1, Math.ceil(st.total / PER));
  const go = (p) => () => { st.page = p; load(); };
  return h("nav", { class: "pager", "aria-label": "Pages" },
    h("button", { type: "button", disabled: st.page <= 1, onclick: go(st.page - 1) }, "Previous"),
    h("span", {}, "Page " + st.page + " of " + pages + " · " + st.total + (st.total === 1 ? " machine" : " machines")),
    h("button", { type: "button", disabled: st.page >= pages, onclick: go(st.page + 1) }, "Next"));
}

// Load the snapshot of the current page, then (re)open the stream.
async function load() {
  const root = st.root;
  if (!root) return;
  let j;
  try {
    j = await get("/api/machines" + qs({ room: st.room, q: st.q, filter: st.filter,
      stale_days: st.filter === "stale" ? st.stale : "", page: st.page, per: PER }));
  } catch (e) {
    fill(st.grid, h("p", { class: "error", role: "alert" }, "The lab could not be loaded: " + e.message));
    return;
  }
  if (st.root !== root) return;
  Object.assign(st, { gen: j.gen, seq: j.seq, total: j.total, counts: j.counts });
  st.tiles.clear();
  st.due.clear();
  rooms(j.rooms);
  refreshBar();
  strip();
  st.chipEls.forEach((b, k) => b.setAttribute("aria-pressed", String(st.filter === CHIPS[k][0])));
  st.pageSel.checked = false;
  st.roomBoxes = new Map();
  const sections = [];
  let cur = null;
  for (const m of j.machines) {
    if (!cur || cur.room !== m.room) {
      const rc = (j.rooms.find((r) => r.name === (m.room || "")) || {}).counts || {};
      cur = { room: m.room, ul: h("ul", { class: "grid" }) };
      sections.push(h("section", { class: "room", "aria-label": "Room " + (m.room || "(none)") }, roomHead(m.room, rc), cur.ul));
    }
    const t = makeTile(m);
    st.tiles.set(m.i, t);
    cur.ul.append(t.li);
  }
  if (!sections.length) sections.push(h("p", { class: "muted empty" }, "No machine matches."));
  fill(st.grid, sections, pager());
  if (!document.hidden) openStream();
}

export async function showLab(main) {
  st.root = main;
  st.stripEl = h("ul", { class: "strip", "aria-label": "Machines by state" });
  st.grid = h("div", { class: "rooms" }, h("p", { class: "muted" }, "Loading the lab…"));
  main.append(h("h1", { class: "sr" }, "Lab"), st.stripEl, controls(), st.grid);
  setSelectionSource({ kind: "lab" });
  await load();
}

export function leaveLab() {
  st.root = null;
  closeStream();
  if (st.raf) cancelAnimationFrame(st.raf);
  st.raf = 0;
}
