// Keeps the open page current without reloading it: every few seconds it fetches the same address and swaps each
// element marked data-live for its new version. Forms outside those elements keep what the user typed; nothing is
// swapped while the tab is hidden or a field inside a live element has the focus.
(function () {
  "use strict";
  // A form with data-confirm asks first (discarding one job; a bulk change has a confirmation page of its own).
  document.addEventListener("submit", function (event) {
    const question = event.target.dataset && event.target.dataset.confirm;
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  const seconds = Number(document.body.dataset.refresh || 0);
  const status = document.getElementById("refresh-status");
  if (!seconds || !document.querySelector("[data-live]")) {
    return;
  }

  function editing() {
    const active = document.activeElement;
    return active && active.closest && active.closest("[data-live]") && /^(INPUT|SELECT|TEXTAREA)$/.test(active.tagName);
  }

  async function refresh() {
    if (document.hidden || editing()) {
      return;
    }
    try {
      const response = await fetch(window.location.href, { credentials: "same-origin", headers: { "X-Stevedore-Refresh": "1" } });
      if (!response.ok) {
        throw new Error("HTTP " + response.status);
      }
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const live = Array.from(document.querySelectorAll("[data-live]"));
      // A page of another shape came back (an error page, then the real one once the database is back): show it whole.
      if (live.some(function (old) { return !old.id || !fresh.getElementById(old.id); })) {
        window.location.reload();
        return;
      }
      live.forEach(function (old) {
        old.replaceWith(document.importNode(fresh.getElementById(old.id), true));
      });
      status.textContent = "updated " + new Date().toLocaleTimeString();
      status.classList.remove("stale");
    } catch (e) {
      status.textContent = "could not update: " + e.message + "; retrying";
      status.classList.add("stale");
    }
  }

  window.setInterval(refresh, seconds * 1000);
})();
