// The library: store size and dedup ratio (GET /api/library), profiles and layers, and
// the garbage collection (a dry run, then a confirmed run: POST /api/gc).
import { get, post } from "./api.js";
import { h, fill, bytes, when, table } from "./fmt.js";

async function storeSection(box, tries) {
  let j;
  try { j = await get("/api/library"); } catch (e) {
    fill(box, h("p", { class: "error", role: "alert" }, (e.status === 501 ? "Not available on this server (HTTP 501): " : "") + e.message));
    return;
  }
  if (j.computing || j._accepted) {
    fill(box, h("p", { class: "muted", role: "status" }, "The server is counting the store…"));
    if (tries < 30) setTimeout(() => storeSection(box, tries + 1), 2000);
    return;
  }
  fill(box, h("dl", { class: "facts" },
    h("dt", {}, "Stored"), h("dd", {}, bytes(j.store_bytes)),
    h("dt", {}, "Logical"), h("dd", {}, bytes(j.logical_bytes)),
    h("dt", {}, "Layers"), h("dd", {}, String(j.layers ?? "")),
    h("dt", {}, "Dedup ratio"), h("dd", {}, j.dedup_ratio ? Number(j.dedup_ratio).toFixed(2) + " ×" : "—"),
    h("dt", {}, "Counted"), h("dd", {}, when(j.computed_at))));
}

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
  const lay = h("div", {});
  main.append(h("h1", {}, "Library"), h("section", {}, h("h2", {}, "Store"), store),
    h("section", {}, h("h2", {}, "Profiles"), prof), h("section", {}, h("h2", {}, "Layers"), lay), gcSection());
  storeSection(store, 0);
  try {
    const ps = await get("/api/profiles");
    fill(prof, table(null, ["Profile", "Partitions", "Machines", "Captured from"], ps.map((p) => [p.name,
      (p.parts || []).map((x) => x.label).join(", "), String(p.machines),
      p.captured ? p.captured.machine + ", " + when(p.captured.at) + " by " + p.captured.by : "—"])));
  } catch (e) { fill(prof, h("p", { class: "error" }, e.message)); }
  try {
    const ls = await get("/api/layers");
    // Sizes and origins when the server gives them; the columns it does not give are left out.
    const cols = [["Layer", (l) => h("span", { class: "mono" }, l.id.slice(0, 16))],
      ["Size", (l) => bytes(l.size), "size"], ["Unique", (l) => bytes(l.unique), "unique"],
      ["Profiles", (l) => (l.profiles || []).join(", ")], ["Partitions", (l) => (l.parts || []).join(", ")],
      ["Machines", (l) => String(l.machines)], ["Captured from", (l) => l.captured_from || "—", "captured_from"]]
      .filter(([, , key]) => !key || ls.some((l) => l[key] !== undefined));
    fill(lay, ls.length ? table(null, cols.map((c) => c[0]), ls.map((l) => cols.map((c) => c[1](l))))
      : h("p", { class: "muted" }, "No profile names a store layer."));
  } catch (e) { fill(lay, h("p", { class: "error" }, e.message)); }
}
