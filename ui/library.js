// The library: store size and dedup ratio (GET /api/library), profiles and layers (GET
// /api/layers, with each layer's size, stored and unique bytes from /api/library's
// per_layer, merged by id), and the garbage collection (a dry run, then a confirmed run:
// POST /api/gc).
import { get, post } from "./api.js";
import { h, fill, bytes, when, table } from "./fmt.js";

const wait = (ms) => new Promise((ok) => setTimeout(ok, ms));

// GET /api/library, asked again every 2 s (a minute at most) while the server counts the
// store (202): onWait is called then.  The answer, or null when it never came.
async function library(onWait) {
  for (let tries = 0; tries <= 30; tries++) {
    const j = await get("/api/library");
    if (!j.computing && !j._accepted) return j;
    onWait();
    await wait(2000);
  }
  return null;
}

function storeFacts(box, j) {
  fill(box, h("dl", { class: "facts" },
    h("dt", {}, "Stored"), h("dd", {}, bytes(j.store_bytes)),
    h("dt", {}, "Logical"), h("dd", {}, bytes(j.logical_bytes)),
    h("dt", {}, "Layers"), h("dd", {}, String(j.layers ?? "")),
    h("dt", {}, "Dedup ratio"), h("dd", {}, j.dedup_ratio ? Number(j.dedup_ratio).toFixed(2) + " ×" : "—"),
    h("dt", {}, "Counted"), h("dd", {}, when(j.computed_at))));
}

// The store's facts into box, and each layer's sizes into sizes (id -> its three cells).
async function sizesSection(box, sizes) {
  let j;
  try {
    j = await library(() => fill(box, h("p", { class: "muted", role: "status" }, "The server is counting the store…")));
  } catch (e) {
    fill(box, h("p", { class: "error", role: "alert" }, (e.status === 501 ? "Not available on this server (HTTP 501): " : "") + e.message));
  }
  if (j) storeFacts(box, j);
  else if (!box.querySelector(".error")) fill(box, h("p", { class: "muted" }, "The server is still counting: come back later."));
  const per = new Map(((j && j.per_layer) || []).map((l) => [l.id, l]));
  for (const [id, cells] of sizes) {
    const l = per.get(id);
    ["size", "stored", "unique"].forEach((k, i) => { cells[i].textContent = l ? bytes(l[k]) : "—"; });
  }
}

const captured = (c) => c ? c.machine + ", " + when(c.at) + " by " + c.by : "—";

function gcSection() {
  const out = h("p", { role: "status" });
  const run = h("button", { type: "button", class: "danger-btn", hidden: true }, "Remove them");
  const dry = h("button", { type: "button" }, "Dry run");
  dry.addEventListener("click", async () => {
    try {
      const j = await post("/api/gc?dry-run=yes");
      out.textContent = "A collection now would remove " + j.files + " files, " + bytes(j.bytes) + " (" + j.kept_recent + " recent kept).";
      run.hidden = j.files === 0;
    } catch (e) { out.textContent = "Refused: " + e.message; }
  });
  run.addEventListener("click", async () => {
    run.disabled = true;
    try {
      const j = await post("/api/gc");
      out.textContent = "Removed " + j.files + " files, " + bytes(j.bytes) + ".";
      run.hidden = true;
    } catch (e) { out.textContent = "Refused: " + e.message; } finally { run.disabled = false; }
  });
  return h("section", {}, h("h2", {}, "Garbage collection"), h("div", { class: "buttons" }, dry, run), out);
}

export async function showLibrary(main) {
  const store = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  const prof = h("div", {});
  const lay = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  main.append(h("h1", {}, "Library"), h("section", {}, h("h2", {}, "Store"), store),
    h("section", {}, h("h2", {}, "Profiles"), prof), h("section", {}, h("h2", {}, "Layers"), lay), gcSection());
  const sizes = new Map();   // layer id -> its Size, Stored and Unique cells
  const layers = get("/api/layers").then((ls) => {
    for (const l of ls) sizes.set(l.id, [0, 1, 2].map(() => h("span", {}, "computing…")));
    fill(lay, ls.length ? table(null, ["Layer", "Size", "Stored", "Unique", "Profiles", "Partitions", "Machines", "Captured from"],
      ls.map((l) => [h("span", { class: "mono", title: l.id }, l.id.slice(0, 16)), ...sizes.get(l.id),
        (l.profiles || []).join(", "), (l.parts || []).join(", "), String(l.machines), captured(l.captured_from)]))
      : h("p", { class: "muted" }, "No profile names a store layer."));
  }).catch((e) => fill(lay, h("p", { class: "error" }, e.message)));
  layers.then(() => sizesSection(store, sizes));
  try {
    const ps = await get("/api/profiles");
    fill(prof, table(null, ["Profile", "Partitions", "Machines", "Captured from"], ps.map((p) => [p.name,
      (p.parts || []).map((x) => x.label).join(", "), String(p.machines), captured(p.captured)])));
  } catch (e) { fill(prof, h("p", { class: "error" }, e.message)); }
}
