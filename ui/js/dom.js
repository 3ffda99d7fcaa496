// Small DOM helpers: elements built with properties and children (never from HTML strings, so
// names and causes from the API are always text).

/** `h("a", { href: "#/x", className: "y" }, "text", child)`. `dataset` and `aria` objects are spread. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "dataset") Object.assign(el.dataset, value);
    else if (key.startsWith("aria-") || key === "role" || key === "for") el.setAttribute(key, String(value));
    else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else el[key] = value;
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

/** Replaces the children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
}

/** `14:32:10` in the viewer's time zone. */
export function clock(date) {
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/** A short age: `42 s`, `5 min`, `3 h`, `2 d`. */
export function age(since, now = new Date()) {
  const s = Math.max(0, Math.round((now.getTime() - since.getTime()) / 1000));
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86400)} d`;
}

/**
 * Asks for confirmation in the page's modal dialog (keyboard: Tab between the fields, Escape
 * cancels). `body` is a list of nodes; `mustType`, when given, is text the user must type
 * before the confirm button works. Resolves with the form's data, or null when cancelled.
 */
export function confirmDialog({ title, body, confirmLabel, mustType }) {
  const dialog = document.getElementById("confirm");
  const ok = document.getElementById("confirm-ok");
  document.getElementById("confirm-title").textContent = title;
  fill(document.getElementById("confirm-body"), body);
  ok.textContent = confirmLabel;
  const typed = mustType === undefined ? null : dialog.querySelector("input[name=typed]");
  const check = () => {
    ok.disabled = typed !== null && typed.value !== mustType;
  };
  check();
  typed?.addEventListener("input", check);
  return new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        const data = new FormData(document.getElementById("confirm-form"));
        resolve(dialog.returnValue === "ok" && !ok.disabled ? data : null);
      },
      { once: true },
    );
    dialog.returnValue = "";
    dialog.showModal();
    (typed ?? ok).focus();
  });
}
