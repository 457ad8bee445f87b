// The dashboard's entry: who is logged in, the hash routes and the header.
// Screens: #/lab, #/m/NAME, #/new, #/library, #/audit (and #/schedule), #/login.
import { get, post, session, setLogoutHandler } from "./api.js";
import { fill } from "./fmt.js";
import { showLogin } from "./login.js";
import { showLab, leaveLab } from "./lab.js";
import { showMachine, leaveMachine } from "./machine.js";
import { showNewPcs } from "./newpcs.js";
import { showLibrary } from "./library.js";
import { showAudit } from "./audit.js";
import { initOrders, setSelectionSource } from "./orders.js";

const main = document.getElementById("main");
const top = document.getElementById("top");
const banner = document.getElementById("banner");

export function warn(text) {
  banner.textContent = text || "";
  banner.hidden = !text;
}

// Ask the server who we are; false when not logged in.
async function loadSession() {
  try {
    const s = await get("/api/session");
    Object.assign(session, s);
    document.getElementById("who").textContent = s.admin + (s.tz ? " · server time " + s.tz : "");
    // new URL() drops a default port: an origin ending in :443 is the page's without it.
    let origin = s.origin;
    try { origin = new URL(s.origin).origin; } catch (e) { /* shown as sent */ }
    if (s.origin && origin !== location.origin)
      warn("This page is at " + location.origin + " but the server's address is " + s.origin +
        ": orders will be refused. Open " + s.origin + "/ui instead.");
    return true;
  } catch (e) {
    return false;
  }
}

function route() {
  const m = location.hash.match(/^#\/([a-z]+)(?:\/(.*))?$/);
  let arg = "";
  try {
    arg = m && m[2] ? decodeURIComponent(m[2]) : "";
  } catch (e) {   // a hand-made link such as #/m/%E0: the lab, not a stale screen
    return { screen: "lab", arg: "" };
  }
  return { screen: m ? m[1] : "lab", arg };
}

async function render() {
  const r = route();
  leaveLab();
  leaveMachine();
  setSelectionSource(null);
  if (!session.admin && r.screen !== "login" && !(await loadSession())) {
    location.replace("#/login");
    return;
  }
  top.hidden = r.screen === "login";
  for (const a of top.querySelectorAll("nav a"))
    a.toggleAttribute("aria-current", a.dataset.screen === r.screen || (r.screen === "m" && a.dataset.screen === "lab"));
  fill(main);
  const screens = {
    login: () => showLogin(main, async () => { await loadSession(); location.hash = "#/lab"; }),
    lab: () => showLab(main),
    m: () => showMachine(main, r.arg),
    new: () => showNewPcs(main),
    library: () => showLibrary(main),
    audit: () => showAudit(main),
    schedule: () => showAudit(main),
  };
  await (screens[r.screen] || screens.lab)();
  if (r.screen !== "lab") main.focus({ preventScroll: true });
}

setLogoutHandler(() => {
  if (route().screen !== "login") location.hash = "#/login";
});

document.getElementById("logout").addEventListener("click", async () => {
  try { await post("/api/logout"); } catch (e) { /* the session may be gone already */ }
  session.admin = null;
  session.csrf = "";
  location.hash = "#/login";
});

// "/" focuses the search box, as on many sites; not while typing.
document.addEventListener("keydown", (ev) => {
  const t = ev.target;
  if (ev.key === "/" && !(t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement)) {
    const s = document.getElementById("search");
    if (s) { ev.preventDefault(); s.focus(); }
  }
});

initOrders();
window.addEventListener("hashchange", render);
render();
