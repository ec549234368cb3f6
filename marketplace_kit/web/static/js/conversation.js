// Progressive enhancement for the conversation page: new messages appear
// without reloading. The page works without this script (reload to see new
// messages); with it, the list asks the server for messages newer than the
// last one it shows, every 10 seconds while the tab is visible.
(function () {
  "use strict";
  var list = document.querySelector("ol.messages[data-refresh]");
  if (!list || !window.fetch) {
    return;
  }
  var base = list.getAttribute("data-refresh").replace(/\/0$/, "/");
  var busy = false;

  function lastId() {
    var items = list.querySelectorAll("li.message[data-id]");
    return items.length ? items[items.length - 1].getAttribute("data-id") : "0";
  }

  function refresh() {
    if (busy || document.visibilityState !== "visible") {
      return;
    }
    busy = true;
    fetch(base + lastId(), { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (resp) {
        return resp.ok ? resp.text() : "";
      })
      .then(function (html) {
        if (html.trim()) {
          var old = document.getElementById("latest");
          if (old) {
            old.removeAttribute("id");
          }
          list.insertAdjacentHTML("beforeend", html);
          var items = list.querySelectorAll("li.message");
          items[items.length - 1].id = "latest";
        }
      })
      .catch(function () {})
      .then(function () {
        busy = false;
      });
  }

  window.setInterval(refresh, 10000);
  document.addEventListener("visibilitychange", refresh);
})();
