/* FlowPilot's few behaviours htmx does not cover: toasts, copying a script, and saying so when a
   request fails, so nothing ever fails silently. */
(function () {
  "use strict";

  function dismissLater(toast) {
    // Errors stay until dismissed, unless the page shows the same error (a failed post's card).
    var error = toast.classList.contains("toast-error");
    if (toast.dataset.timed || (error && !toast.hasAttribute("data-also-on-page"))) return;
    toast.dataset.timed = "1";
    setTimeout(function () { toast.remove(); }, error ? 15000 : 8000);
  }

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

  function armToasts() {
    pruneHandoffToasts();
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
    dismissLater(toast);
  }

  document.documentElement.classList.replace("no-js", "js");

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
