// The login screen: an admin's name and password (POST /api/login, docs/security.md).
import { post, session } from "./api.js";
import { h } from "./fmt.js";

export function showLogin(main, done) {
  const err = h("p", { class: "error", role: "alert", id: "login-error" });
  const name = h("input", { id: "login-name", name: "name", autocomplete: "username", required: true, autocapitalize: "none" });
  const pass = h("input", { id: "login-password", name: "password", type: "password", autocomplete: "current-password", required: true });
  const btn = h("button", { type: "submit", class: "primary" }, "Log in");
  const form = h("form", { class: "login card", "aria-describedby": "login-error" },
    h("h1", {}, "Strata"),
    h("p", { class: "muted" }, "Log in to the lab."),
    h("label", { for: "login-name" }, "Name"), name,
    h("label", { for: "login-password" }, "Password"), pass,
    btn, err);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    btn.disabled = true;
    err.textContent = "";
    try {
      const j = await post("/api/login", { name: name.value, password: pass.value });
      pass.value = "";
      Object.assign(session, j);
      await done();
    } catch (e) {
      err.textContent = e.status === 401 ? "Wrong name or password." : e.message;
    } finally {
      btn.disabled = false;
    }
  });
  main.append(form);
  name.focus();
}
