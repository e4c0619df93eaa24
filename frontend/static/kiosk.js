/* The kiosk screen (/k/<token>): a tablet on a stand, answered by shopper after shopper. Runs before survey.js.
   Each shopper is a session of its own: the screen starts over after the thank-you or when nobody touched it for a
   while (survey.js's reset: a new response id, nothing of the last shopper left), it goes full screen on the first
   tap, and a finished response that could not be sent waits in survey.js's outbox while the next shopper starts. */
(function () {
  "use strict";
  var K = JSON.parse(document.getElementById("kiosk-data").textContent);
  var PROGRESS = "pejling.progress:";
  var idleTimer = null, thanksTimer = null, wantsFullscreen = true;

  /* A page load is a new session: progress an earlier shopper left in this tab is not resumed (survey.js reads it
     when it starts, right after this script). */
  try {
    for (var i = sessionStorage.length - 1; i >= 0; i--) {
      var key = sessionStorage.key(i);
      if (key && key.indexOf(PROGRESS) === 0) sessionStorage.removeItem(key);
    }
  } catch (e) { /* no storage: nothing kept either */ }

  function byId(id) { return document.getElementById(id); }

  /* Every shopper gets the scored statements in a fresh order, as a fresh page load would. */
  function freshOrder() {
    var ids = [].map.call(document.querySelectorAll("#survey fieldset.statement"), function (s) {
      return s.getAttribute("data-id");
    });
    var pool = ids.filter(function (id) { return K.shuffle.indexOf(id) >= 0; });
    for (var n = pool.length - 1; n > 0; n--) {
      var j = Math.floor(Math.random() * (n + 1)), swap = pool[n];
      pool[n] = pool[j]; pool[j] = swap;
    }
    var k = 0;
    return ids.map(function (id) { return K.shuffle.indexOf(id) >= 0 ? pool[k++] : id; });
  }

  function startOver() {
    clearTimeout(idleTimer); clearTimeout(thanksTimer); thanksTimer = null;
    if (document.activeElement && document.activeElement.blur) document.activeElement.blur(); // the keyboard goes
    window.pejlingSurvey.reset(freshOrder());
    var note = byId("kiosk-next");
    if (note) note.textContent = "";
    wantsFullscreen = true;
    stillInUse();
  }

  /* A kiosk retired (or switched off) while its screen runs shows the "no longer in use" page from the next start
     on; only once nothing waits in the outbox, which a later screen on this device sends (offline: no question). */
  function stillInUse() {
    var waiting;
    try {
      waiting = Object.keys(JSON.parse(localStorage.getItem("pejling.outbox") || "{}")).length;
    } catch (e) { waiting = 1; }
    if (waiting || !window.fetch) return;
    fetch(location.pathname + location.search, { method: "HEAD", credentials: "omit", cache: "no-store" }).then(
      function (r) { if (r.status === 404 || r.status === 410) location.reload(); }, function () { /* offline */ });
  }

  /* Idle: a survey in progress that nobody touched for idle_seconds is discarded (not sent, not kept). */
  function idle() {
    var send = byId("send");
    if (send && send.disabled) { arm(); return; } // a send in flight: its answer decides first
    if (byId("survey").hasAttribute("data-state")) return; // thanked: the thank-you's own timer starts over
    if (byId("intro").classList.contains("on")) return; // nothing to discard
    startOver();
  }
  function arm() { clearTimeout(idleTimer); idleTimer = setTimeout(idle, K.idle_seconds * 1000); }

  /* Full screen on the first tap of each shopper, where the browser allows it (it needs a tap to ask). */
  function fullscreen() {
    if (!wantsFullscreen) return;
    wantsFullscreen = false;
    var root = document.documentElement, ask = root.requestFullscreen || root.webkitRequestFullscreen;
    if (!ask || document.fullscreenElement || document.webkitFullscreenElement) return;
    try {
      var asked = ask.call(root, { navigationUI: "hide" });
      if (asked && asked.catch) asked.catch(function () { /* refused: the layout fills the window anyway */ });
    } catch (e) { /* not allowed here */ }
  }

  ["pointerdown", "keydown", "input", "change", "wheel"].forEach(function (type) {
    document.addEventListener(type, arm, { capture: true, passive: true });
  });
  document.addEventListener("click", fullscreen, true);
  document.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") fullscreen(); }, true);

  document.addEventListener("DOMContentLoaded", function () {
    var form = byId("survey"), thanks = byId("thanks");
    var email = byId("email");
    if (email) email.setAttribute("autocomplete", "off"); // a shared device suggests no one's address to the next
    var note = document.createElement("p");
    note.id = "kiosk-next"; note.className = "small muted";
    thanks.appendChild(note);
    form.addEventListener("pejling:thanks", function (e) {
      if (e.detail && e.detail.queued) { // kept on this screen, not on the shopper's phone: say so plainly
        byId("thanks-title").textContent = K.t.thanks_headline;
        byId("thanks-body").textContent = K.t.kiosk_queued_body;
      }
      note.textContent = K.t.kiosk_next;
      clearTimeout(idleTimer);
      if (thanksTimer === null) thanksTimer = setTimeout(startOver, K.thanks_seconds * 1000);
    });
    arm();
  });
})();
