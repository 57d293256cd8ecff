/* FlowPilot's few behaviours htmx does not cover: toasts, copying a script, and saying so when a
   request fails, so nothing ever fails silently. */
(function () {
  "use strict";

  // A toast goes away on its own only after the engineer has had it in front of them: its time runs only
  // in seconds when the page is visible and they are at it (moved the pointer, clicked, typed or turned
  // the wheel), and stops while the pointer or focus is on it. Someone who looked away finds it there.
  var TOAST_MS = { success: 8000, info: 8000, warning: 12000, error: 15000 };
  var SAMPLE_MS = 1000;

  function dismissLater(toast) {
    // Errors stay until dismissed, unless the page shows the same error (a failed post's card).
    var level = (toast.className.match(/toast-(\w+)/) || [])[1] || "info";
    if (toast.dataset.left || (level === "error" && !toast.hasAttribute("data-also-on-page"))) return;
    toast.dataset.left = String(TOAST_MS[level] || TOAST_MS.info);
  }

  var engineerActive = false;
  ["pointermove", "pointerdown", "keydown", "wheel"].forEach(function (name) {
    window.addEventListener(name, function () { engineerActive = true; }, { passive: true, capture: true });
  });

  setInterval(function () {
    var watched = engineerActive && document.visibilityState === "visible";
    engineerActive = false;
    if (!watched) return;
    document.querySelectorAll("#toasts .toast[data-left]").forEach(function (toast) {
      if (toast.matches(":hover, :focus-within")) return;
      var left = Number(toast.dataset.left) - SAMPLE_MS;
      if (left <= 0) toast.remove();
      else toast.dataset.left = String(left);
    });
  }, SAMPLE_MS);

  // A failed post's toast is about its card: keep only the newest one, and only while the card shows a failure.
  function pruneHandoffToasts() {
    var seen = {};
    Array.prototype.slice.call(document.querySelectorAll("#toasts [data-handoff]")).reverse().forEach(function (toast) {
      var id = toast.dataset.handoff;
      var card = document.querySelector('#handoff[data-handoff="' + id + '"]');
      if (seen[id] || !card || !card.classList.contains("handoff-failed")) toast.remove();
      else seen[id] = true;
    });
  }

  // The newest message supersedes the ones before it (only the newest shows, so an old one must not
  // resurface when it goes); a failed post's toast stays while its card shows the failure.
  function supersedeOlderToasts() {
    var toasts = Array.prototype.slice.call(document.querySelectorAll("#toasts .toast"));
    toasts.slice(0, -1).forEach(function (toast) { if (!toast.hasAttribute("data-handoff")) toast.remove(); });
  }

  function armToasts() {
    pruneHandoffToasts();
    supersedeOlderToasts();
    document.querySelectorAll("#toasts .toast").forEach(dismissLater);
  }

  function showToast(text, level) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var toast = document.createElement("div");
    toast.className = "toast toast-" + level;
    toast.setAttribute("role", level === "error" ? "alert" : "status");
    var p = document.createElement("p");
    p.textContent = text;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "toast-close";
    close.setAttribute("aria-label", "Dismiss this message");
    close.textContent = "×";
    toast.append(p, close);
    box.append(toast);
    armToasts();
  }


  document.addEventListener("click", function (event) {
    // The list's filter links carry the search as typed, not as it was when the page loaded.
    var filter = event.target.closest(".filters .segmented a");
    var search = document.getElementById("q");
    if (filter && search) {
      var url = new URL(filter.href);
      url.searchParams.set("q", search.value);
      filter.href = url.toString();
    }

    var close = event.target.closest(".toast-close");
    if (close) { close.closest(".toast").remove(); return; }

    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var source = document.querySelector(copy.dataset.copy);
      if (!source) return;
      var done = function () { copy.textContent = "Copied"; setTimeout(function () { copy.textContent = "Copy"; }, 2000); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(source.textContent).then(done, function () { selectText(source); });
      } else {
        selectText(source);
        try { if (document.execCommand("copy")) done(); } catch (e) { /* the text stays selected for Ctrl-C */ }
      }
    }
  });

  function selectText(element) {
    var range = document.createRange();
    range.selectNodeContents(element);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }

  // A partial fix needs notes: say so before the server has to.
  document.addEventListener("change", function (event) {
    if (event.target.name !== "outcome") return;
    var notes = event.target.form && event.target.form.querySelector("[name=outcome_notes]");
    if (notes) notes.required = event.target.value === "applied_partial";
  });

  document.addEventListener("DOMContentLoaded", armToasts);
  document.addEventListener("htmx:afterSettle", armToasts);
  // A control inside a toast (its Retry form) takes the toast away once its request has been answered.
  document.addEventListener("htmx:afterRequest", function (event) {
    var control = event.target.closest && event.target.closest("[data-closes-toast]");
    var toast = control && control.closest(".toast");
    if (toast) toast.remove();
  });
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr.status;
    showToast(status === 404
      ? "That item no longer exists. Reload the page to see the session as it is now."
      : "FlowPilot could not complete that (HTTP " + status + "). Nothing you typed was lost; try again.", "error");
  });
  document.addEventListener("htmx:sendError", function () {
    showToast("FlowPilot cannot be reached. Check your connection; what you typed is still on the page.", "error");
  });
})();

/* The workspace's facts and checks: "Dismiss" on a deleted row's notice takes the notice away in place
   (without JavaScript it is a link to the workspace, which shows none), and the focus goes to the row
   below it, or above it, or the list's add form. */
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var dismiss = event.target.closest("[data-dismiss-row]");
    if (!dismiss) return;
    event.preventDefault();
    var row = dismiss.closest("li");
    var neighbour = row.nextElementSibling || row.previousElementSibling;
    var next = (neighbour && neighbour.querySelector("a[href], button")) ||
      row.closest("section").querySelector("summary");
    row.remove();
    if (next) next.focus();
  });
})();

/* A post in progress: the card polls its status every second (and without this, that is all it does); here it
   also listens for the handoff's end on its event stream, and asks for the status the moment it comes, so the
   toast arrives without waiting for the next poll. Each poll swaps the card anew: one stream per handoff serves
   every card it is swapped for. */
(function () {
  "use strict";

  var streams = {};

  function listen(card) {
    var url = card.dataset.handoffEvents;
    if (!window.EventSource || streams[url]) return;
    var source = streams[url] = new EventSource(url);
    source.addEventListener("done", function () {
      source.close();
      var current = document.querySelector('[data-handoff-events="' + url + '"]');
      if (current) htmx.trigger(current, "handoff-finished");
    });
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) source.close();  // refused: the poll carries on alone
    });
  }

  htmx.onLoad(function (root) {
    if (!(root instanceof Element)) return;
    if (root.matches("[data-handoff-events]")) listen(root);
    root.querySelectorAll("[data-handoff-events]").forEach(listen);
  });
})();

/* A draft being written: the preview panel's "Drafting…" shows the model's text as it comes (plain text, never
   HTML), then asks for the finished panel (rendered and sanitised by the server) when the stream says done.
   Without a stream (or on its failure) it asks at once, and a panel that comes back still drafting listens
   again, never sooner than two seconds after the last time. */
(function () {
  "use strict";

  var AGAIN_MS = 2000;
  var last = {};

  function finish(panel, source) {
    if (source) source.close();
    htmx.trigger(panel, "draft-ready");
  }

  function listen(panel) {
    if (panel.dataset.listening) return;
    panel.dataset.listening = "1";
    var url = panel.dataset.draftStream;
    var wait = AGAIN_MS - (Date.now() - (last[url] || 0));
    setTimeout(function () {
      last[url] = Date.now();
      if (!window.EventSource) { finish(panel); return; }
      var text = panel.querySelector("[data-draft-text]");
      var source = new EventSource(url);
      source.addEventListener("delta", function (event) {
        text.appendChild(document.createTextNode(JSON.parse(event.data).text || ""));
      });
      source.addEventListener("reset", function () { text.textContent = ""; });
      source.addEventListener("done", function () { finish(panel, source); });
      source.addEventListener("error", function () { finish(panel, source); });
    }, Math.max(0, wait));
  }

  htmx.onLoad(function (root) {
    if (!(root instanceof Element)) return;
    if (root.matches("[data-draft-stream]")) listen(root);
    root.querySelectorAll("[data-draft-stream]").forEach(listen);
  });
})();
