// The audit log, newest first, in keyset pages (GET /api/audit?before=ID), and the
// scheduled orders (GET /api/schedule, POST /api/schedule-cancel/ID).
import { get, post, qs } from "./api.js";
import { h, fill, when, table } from "./fmt.js";

async function scheduleSection(box) {
  let list;
  try { list = await get("/api/schedule"); } catch (e) {
    fill(box, h("p", { class: "muted" }, (e.status === 501 ? "Not available on this server (HTTP 501): " : "") + e.message));
    return;
  }
  if (!list.length) { fill(box, h("p", { class: "muted" }, "No scheduled order.")); return; }
  const status = h("p", { role: "status" });
  fill(box, table(null, ["When", "Action", "Target", "Wake", "By", "State", "Result", ""], list.map((s) => [when(s.at), s.action, s.target,
    s.wake ? "yes" : "no", s.by, s.state, s.result || "", s.state === "pending" ? h("button", { type: "button", onclick: async () => {
      try { await post("/api/schedule-cancel/" + s.id); scheduleSection(box); } catch (e) { status.textContent = "Refused: " + e.message; }
    } }, "Cancel order " + s.id) : ""])), status);
}

export async function showAudit(main) {
  const body = h("tbody");
  const more = h("button", { type: "button" }, "Older");
  const sched = h("div", {}, h("p", { class: "muted" }, "Loading…"));
  let last = 0;
  const page = async () => {
    const list = await get("/api/audit" + qs({ before: last || "", limit: 100 }));
    for (const o of list) body.append(h("tr", {}, [String(o.id), when(o.at), o.by + " (" + o.via + ")", o.action, o.target,
      String(o.machines), String(o.ok), String(o.failed), String(o.open)].map((c) => h("td", {}, c))));
    if (list.length) last = list[list.length - 1].id;
    more.hidden = list.length < 100;
  };
  more.addEventListener("click", page);
  main.append(h("h1", {}, "Audit"), h("section", {}, h("h2", {}, "Scheduled orders"), sched),
    h("section", {}, h("h2", {}, "Orders given"), h("div", { class: "scroll" }, h("table", {},
      h("thead", {}, h("tr", {}, ["#", "When", "By", "Action", "Target", "Machines", "Ok", "Failed", "Open"].map((x) => h("th", { scope: "col" }, x)))), body)), more));
  scheduleSection(sched);
  try { await page(); } catch (e) { main.append(h("p", { class: "error", role: "alert" }, e.message)); }
}
