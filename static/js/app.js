// A few enhancements on top of server-rendered pages; every page works without them.

// Screen-reader confirmations go through one polite live region in base.html.
function announce(text) {
  const region = document.getElementById("announcer");
  if (region) region.textContent = text;
}

// Copy buttons: <button data-copy="text">. Delegated, so buttons swapped in by htmx work too.
// navigator.clipboard exists only on HTTPS and localhost; elsewhere fall back to a selected textarea.
async function copyText(text) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error("the browser refused to copy");
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  button.dataset.label ??= button.textContent;
  try {
    await copyText(button.dataset.copy);
    button.textContent = "Copied";
    announce(`Copied ${button.dataset.copy}`);
  } catch {
    button.textContent = "Copy failed: select the text";
    announce("Copy failed; select the text and copy it by hand.");
  }
  clearTimeout(button.copyTimer);
  button.copyTimer = setTimeout(() => { button.textContent = button.dataset.label; }, 1500);
});

// Relative times: <time class="relative" datetime="..." title="exact time">. The server writes a
// fallback; here the text becomes "3 minutes ago" / "in 30 days" and stays current. The exact
// time stays in the title, shown on hover.
const relativeFormat = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
const UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400], ["hour", 3600], ["minute", 60]];

function describe(date) {
  const seconds = (date.getTime() - Date.now()) / 1000;
  if (Math.abs(seconds) < 45) return "just now";
  for (const [unit, size] of UNITS) {
    if (Math.abs(seconds) >= size) return relativeFormat.format(Math.round(seconds / size), unit);
  }
  return relativeFormat.format(Math.sign(seconds), "minute");
}

function refreshTimes(root) {
  for (const time of root.querySelectorAll("time.relative[datetime]")) {
    const date = new Date(time.getAttribute("datetime"));
    if (!Number.isNaN(date.getTime())) time.textContent = describe(date);
  }
}

document.addEventListener("DOMContentLoaded", () => refreshTimes(document));
document.addEventListener("htmx:load", (event) => refreshTimes(event.detail.elt));
setInterval(() => refreshTimes(document), 30000);

// Search as you type starts at 3 characters: shorter terms cannot use the trigram indexes, and on a
// large fleet each would be a slow request. The Search button and Enter still send any term, and
// emptying the box still clears the search. (CSP allows no hx-trigger filter, so the check is here.)
const LIVE_SEARCH_MIN = 3;
document.addEventListener("htmx:confirm", (event) => {
  const typed = event.detail.triggeringEvent;
  if (typed?.type !== "input" || typed.target.id !== "id_q") return;
  const term = typed.target.value.trim();
  if (term && term.length < LIVE_SEARCH_MIN) event.preventDefault();
});

// "Select every VPS on this page": the list's header checkbox, hidden until this script shows it,
// ticks or clears the row boxes named in its data-select-all. Without it, each row is ticked by hand.
function showSelectAll(root) {
  for (const box of root.querySelectorAll("[data-select-all]")) box.hidden = false;
}
document.addEventListener("DOMContentLoaded", () => showSelectAll(document));
document.addEventListener("htmx:load", (event) => showSelectAll(event.detail.elt));
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-select-all]");
  if (!all?.form) return;
  for (const box of all.form.querySelectorAll(`input[name="${all.dataset.selectAll}"]`)) box.checked = all.checked;
});
