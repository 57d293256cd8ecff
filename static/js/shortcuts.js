/* Keyboard shortcuts: "/" searches the session list, "n" starts a new session from it, "f" goes to a
   workspace's add-fact field, "?" shows or hides their help. None fires while the engineer types in a field
   or holds Ctrl, Alt or Meta, so typing and the browser's own shortcuts are never taken over. Without
   JavaScript there are none, and their help (shortcuts_help.html) is never offered. */
(function () {
  "use strict";

  // What each key acts on, looked up when pressed: htmx swaps regions (and whole pages, going back).
  var TARGETS = {
    "/": function () { return document.getElementById("q"); }, // the session list's search box
    n: function () { return document.querySelector("a[data-new-session]"); }, // the list's New session link
    f: function () { return document.getElementById("fact_text"); }, // a workspace's add-fact field
  };

  function helpDialog() { return document.getElementById("shortcuts-help"); }

  function toggleHelp() {
    var help = helpDialog();
    if (!help) return false;
    if (help.open) help.close();
    else help.showModal();
    return true;
  }

  function act(key) {
    if (key === "?") return toggleHelp();
    var target = TARGETS[key] && TARGETS[key]();
    if (!target) return false;
    if (target.tagName === "A") {
      target.click();
    } else {
      var folded = target.closest("details:not([open])"); // the add-fact form stays folded until used
      if (folded) folded.open = true;
      target.focus();
    }
    return true;
  }

  function typing(target) {
    return target instanceof Element &&
      (target.isContentEditable || target.closest("input, textarea, select, [contenteditable]") !== null);
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.repeat || event.isComposing) return;
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var help = helpDialog();
    if (help && help.open && event.key !== "?") return; // the help is modal: only "?" (or Escape) closes it
    if (act(event.key)) event.preventDefault(); // "/" must not land in the box it has just focused
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-shortcuts-help]")) toggleHelp();
  });

  // A screen reader announces a control's shortcut; it has one only with JavaScript, hence set here.
  function announce() {
    Object.keys(TARGETS).forEach(function (key) {
      var target = TARGETS[key]();
      if (target) target.setAttribute("aria-keyshortcuts", key);
    });
  }
  announce();
  document.addEventListener("htmx:afterSettle", announce);
  document.addEventListener("htmx:historyRestore", announce);
})();
