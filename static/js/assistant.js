/* The workspace's conversation with the assistant (sessions/assistant.html): Enter sends and Shift+Enter breaks
   the line; a reply streams in from its event stream as plain text (text nodes, never HTML) until its rendered,
   sanitised version from the server replaces it; Send waits while a reply is written; the chat's refusals
   (400, 409) are swapped in where they belong, in words; and text selected in a message can be promoted to a
   fact. Everything here works over markup the server rendered, so a reload mid-reply picks up again. */
(function () {
  "use strict";

  var NEAR_BOTTOM_PX = 80;

  function transcript() { return document.getElementById("transcript"); }

  function streaming() { return document.querySelector("#transcript [data-stream-url]"); }

  // One reply at a time per session: Send is disabled while one is written (the server says so too).
  function syncSend() {
    var send = document.querySelector("[data-chat-send]");
    if (send) send.disabled = !!streaming();
  }

  function atBottom(box) { return box.scrollHeight - box.scrollTop - box.clientHeight < NEAR_BOTTOM_PX; }

  // Follow the conversation as it grows, unless the engineer has scrolled up to read something.
  function whileFollowing(change) {
    var box = transcript();
    var follow = box && atBottom(box);
    change();
    if (follow) box.scrollTop = box.scrollHeight;
  }

  // A reply fetched back still streaming (its stream ended early: the server restarting, say) is followed again,
  // but never sooner than RE_FOLLOW_MS after the last time, so a stream that keeps ending cannot spin.
  var RE_FOLLOW_MS = 2000;
  var lastFollowed = {};

  function followReply(reply) {
    if (reply.dataset.following) return;
    reply.dataset.following = "1";
    var wait = RE_FOLLOW_MS - (Date.now() - (lastFollowed[reply.id] || 0));
    if (wait > 0) setTimeout(function () { startFollowing(reply); }, wait);
    else startFollowing(reply);
  }

  function startFollowing(reply) {
    lastFollowed[reply.id] = Date.now();
    var text = reply.querySelector("[data-stream-text]");
    var state = reply.querySelector("[data-stream-state]");
    var source = new EventSource(reply.dataset.streamUrl);
    var finished = false;

    function finish() {
      if (finished) return;
      finished = true;
      source.close();
      var box = transcript();
      var follow = box && atBottom(box);
      htmx.ajax("GET", reply.dataset.messageUrl, { source: reply, target: "#" + reply.id, swap: "outerHTML" })
        .then(function () { if (follow) box.scrollTop = box.scrollHeight; });
    }

    // Each (re)connection starts with the text so far: what the page showed is replaced, never doubled.
    source.addEventListener("open", function () { text.textContent = ""; });
    source.addEventListener("delta", function (event) {
      var delta = JSON.parse(event.data).text || "";
      whileFollowing(function () {
        text.appendChild(document.createTextNode(delta));
        if (state) state.textContent = "writing…";
      });
    });
    source.addEventListener("reset", function () {
      text.textContent = "";
      if (state) state.textContent = "thinking…";
    });
    source.addEventListener("done", finish);
    // The server's own `error` event (the reply failed) carries data. A dropped connection carries none, and
    // the browser reconnects by itself, unless the stream was refused outright (then it is closed).
    source.addEventListener("error", function (event) {
      if (event.data || source.readyState === EventSource.CLOSED) finish();
    });
  }

  // A card decided (Accept, Dismiss) is replaced: the focus goes to the card that came back, so a keyboard or
  // screen-reader user stays where they were rather than at the top of the page.
  document.body.addEventListener("htmx:afterSwap", function (event) {
    var card = event.detail.target && document.getElementById(event.detail.target.id);
    if (card && card.classList.contains("proposal") && !card.contains(document.activeElement)) card.focus();
  });

  htmx.onLoad(function (root) {
    if (!(root instanceof Element)) return;
    if (root.matches("[data-stream-url]")) followReply(root);
    root.querySelectorAll("[data-stream-url]").forEach(followReply);
    syncSend();
  });

  document.addEventListener("DOMContentLoaded", function () {
    var box = transcript();
    if (box && !window.location.hash) box.scrollTop = box.scrollHeight;
  });

  document.addEventListener("keydown", function (event) {
    var field = event.target.closest && event.target.closest("[data-chat-text]");
    if (!field || event.key !== "Enter" || event.shiftKey || event.altKey || event.isComposing) return;
    event.preventDefault();
    var send = field.form.querySelector("[data-chat-send]");
    if (send && !send.disabled && field.value.trim()) field.form.requestSubmit(send);
  });

  // The chat answers a refusal with its status (400 empty or oversize, 409 busy, closed or decided) and the
  // words to show: swap them in where the request points, instead of a generic error toast.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    var elt = event.detail.elt || (event.detail.requestConfig && event.detail.requestConfig.elt);
    if ((status === 400 || status === 409) && elt && elt.closest && elt.closest("[data-assistant]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var sent = event.detail.xhr && event.detail.xhr.status < 300;
    if (sent && elt.matches && elt.matches("[data-chat-form]")) {
      var field = elt.querySelector("[data-chat-text]");
      field.value = "";
      field.focus();
      var box = transcript();
      if (box) setTimeout(function () { box.scrollTop = box.scrollHeight; }, 0); // what was just sent, in view
    }
    if (sent && elt.matches && elt.matches("[data-promote-form]")) clearPromote();
    setTimeout(syncSend, 0); // after htmx gives the form's button back
  });
  document.addEventListener("htmx:afterSettle", function () { syncSend(); });

  // Promote to fact: text selected inside a message shows the button; the selection is kept when it is
  // pressed (by pointer, or reached with Tab), since pressing a button can clear the selection.
  var selected = "";

  function insideMessage(node) {
    var element = node && (node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement);
    return !!(element && element.closest("#transcript .message-text"));
  }

  document.addEventListener("selectionchange", function () {
    var button = document.querySelector("[data-promote]");
    if (!button || document.activeElement === button) return;
    var selection = window.getSelection();
    var text = selection && !selection.isCollapsed ? selection.toString().trim() : "";
    var inMessage = text && insideMessage(selection.anchorNode) && insideMessage(selection.focusNode);
    selected = inMessage ? text : "";
    button.hidden = !selected;
  });

  document.addEventListener("mousedown", function (event) {
    if (event.target.closest && event.target.closest("[data-promote]")) event.preventDefault();
  });

  function clearPromote() {
    var slot = document.getElementById("promote-slot");
    if (slot) slot.replaceChildren();
  }

  document.addEventListener("click", function (event) {
    var promote = event.target.closest && event.target.closest("[data-promote]");
    if (promote && selected) {
      htmx.ajax("POST", promote.dataset.promoteUrl, {
        source: promote, target: "#promote-slot", swap: "outerHTML", values: { text: selected },
      });
      promote.hidden = true;
      selected = "";
      return;
    }
    var cancel = event.target.closest && event.target.closest("[data-promote-cancel]");
    if (cancel) {
      event.preventDefault();
      clearPromote();
      var field = document.querySelector("[data-chat-text]");
      if (field) field.focus();
    }
  });
})();
