/* The channel page's "Progress" card: poll the channel's progress JSON and update the numbers,
   the bar and the estimate in place. Without JavaScript the card shows the server's numbers and
   its "Refresh" link reloads them. Also keeps the "Sync" card's counts in step. */
(function () {
  "use strict";
  var card = document.getElementById("sync-progress");
  if (!card || !window.fetch) { return; }
  var url = card.getAttribute("data-progress-url");
  var interval = parseInt(card.getAttribute("data-interval"), 10) || 3000;
  var syncCardIds = { pending: "sync-pending", in_flight: "sync-in-flight", synced: "sync-synced",
                      failed: "sync-failed", skipped: "sync-skipped", waiting: "sync-waiting" };
  // The progress card's field of each state ("waiting" there is the backlog: pending + sending).
  var progressFields = { pending: "pending", in_flight: "in_flight", synced: "synced",
                         failed: "failed", skipped: "skipped", waiting: "choice" };

  function set(name, text) {
    var nodes = card.querySelectorAll('[data-field="' + name + '"]');
    for (var i = 0; i < nodes.length; i++) { nodes[i].textContent = text; }
  }

  function render(data) {
    var bar = card.querySelector('[data-field="bar"]');
    bar.setAttribute("aria-valuenow", String(data.percent));
    bar.value = data.percent;
    set("percent", data.percent + "%");
    ["settled", "total", "waiting", "rate_per_minute", "summary"].forEach(function (k) { set(k, String(data[k])); });
    Object.keys(syncCardIds).forEach(function (state) {
      set(progressFields[state], String(data.counts[state]));
      var other = document.getElementById(syncCardIds[state]);
      if (other) { other.textContent = String(data.counts[state]); }
    });
    var budget = data.day_remaining === null ? null : data.day_remaining + " of " + data.day_limit;
    set("day_remaining", budget === null ? "not reported yet" : budget);
    var syncBudget = document.getElementById("sync-day-budget");
    if (syncBudget && budget !== null) { syncBudget.textContent = budget; }
    var updated = card.querySelector('[data-field="updated"]');
    updated.hidden = false;
    updated.textContent = "Updated " + new Date().toLocaleTimeString() + ".";
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { render(data); } })
      .catch(function () { /* offline for a moment: the next poll tries again */ })
      .then(function () { window.setTimeout(poll, interval); });
  }

  window.setTimeout(poll, interval);
})();
