/* The shopper survey: one step per screen, reaction times, offline outbox. No framework; inlined into the page.
   Without this script the page is a plain form posted to the server. */
(function () {
  "use strict";
  var D = JSON.parse(document.getElementById("survey-data").textContent);
  var form = document.getElementById("survey");
  var steps = [].slice.call(form.querySelectorAll(".step"));
  var statements = steps.filter(function (s) { return s.classList.contains("statement"); });
  function ids() { return statements.map(function (s) { return s.getAttribute("data-id"); }); }
  var countable = statements.length + 2; // statements, the outcome question and the last screen
  var bar = document.getElementById("bar");
  var count = document.getElementById("count");
  var KEY = "pejling.outbox";
  /* Answers in progress survive a language switch, a reload and the phone's Back button (this tab only). */
  var PROGRESS = "pejling.progress:" + D.submit_url + ":" + D.survey_version_id + ":" + (D.invitation || "");
  /* The portal's preview (?preview=1): the survey as a shopper sees it, but nothing is sent, queued or remembered. */
  var PREVIEW = D.preview === true;
  var SETTLE_MS = 300; // a tap this soon after a screen appears is not a reading of it (a double tap's echo)
  var SEND_TIMEOUT_MS = 15000; // a connection that never answers: keep the response on the phone and say so
  var current = 0, shownAt = 0, hiddenAt = 0, paused = 0, startedAt = null, lastKey = "", answers = {}, moving = false;
  var settled = false, depth = 0; // depth: history entries this page pushed, so Back stays in the page
  var responseId = uuid();

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = new Uint8Array(16), i, h = "";
    if (window.crypto && crypto.getRandomValues) crypto.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1) + ([3, 5, 7, 9].indexOf(i) >= 0 ? "-" : "");
    return h;
  }

  /* Reaction time: from the frame that shows the statement to the tap, minus time the page was hidden. */
  function startClock() {
    shownAt = performance.now(); paused = 0; hiddenAt = document.hidden ? shownAt : 0; settled = false;
    var screen = current;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        if (!document.hidden) { shownAt = performance.now(); paused = 0; }
        setTimeout(function () { if (current === screen) settled = true; }, SETTLE_MS);
      });
    });
  }
  document.addEventListener("visibilitychange", function () {
    var now = performance.now();
    if (document.hidden) hiddenAt = now;
    else if (hiddenAt) { paused += now - hiddenAt; hiddenAt = 0; }
  });
  function elapsed() {
    var now = performance.now(), hidden = paused + (hiddenAt ? now - hiddenAt : 0);
    return Math.max(0, Math.round(now - shownAt - hidden));
  }

  function show(index, fromHistory) {
    moving = false;
    steps[current].classList.remove("on");
    if (!fromHistory && index !== current && steps[index].id !== "thanks" && window.history && history.pushState) {
      if (index > current) { history.pushState({ step: index }, ""); depth++; }
      else history.replaceState({ step: index }, "");
    }
    current = index;
    var step = steps[index];
    step.classList.add("on");
    var n = statements.indexOf(step) + 1 || (step.id === "outcome" ? countable - 1 : step.id === "last" ? countable : 0);
    bar.style.width = step.id === "thanks" ? "100%" : (100 * Math.max(0, n - 1) / countable) + "%";
    count.textContent = n ? D.t.progress.replace("{n}", n).replace("{total}", countable) : "";
    if (statements.indexOf(step) >= 0) {
      if (!startedAt) startedAt = new Date().toISOString();
      startClock();
    }
    var focus = step.querySelector("legend, h1, #comment-label");
    if (focus && index) focus.focus({ preventScroll: true });
    window.scrollTo(0, 0);
    save();
  }
  function next() { if (current < steps.length - 2) show(current + 1); }

  /* A tap answers only the screen it was meant for: not while moving on, and not before the new screen has settled
     (a finger's second tap lands on the next statement; a key press is always meant). */
  function unsettled(input) {
    var step = input.closest(".step");
    return moving || step !== steps[current] || (step.classList.contains("statement") && !settled);
  }
  function answered(input) {
    var step = input.closest(".step");
    if (moving || step !== steps[current]) return;
    moving = true;
    if (step.classList.contains("statement")) {
      var na = input.value === "na"; // "doesn't apply": no value, its reaction time still measured
      var answer = answers[step.getAttribute("data-id")] = {
        statement_id: step.getAttribute("data-id"), value: na ? null : parseInt(input.value, 10),
        position: parseInt(step.getAttribute("data-position"), 10), reaction_ms: elapsed(),
        warmup: step.getAttribute("data-warmup") === "1"
      };
      if (na) answer.not_applicable = true;
    }
    setTimeout(next, 180); // let the shopper see the choice light up
  }

  form.addEventListener("keydown", function (e) {
    lastKey = e.key;
    if (e.target.type === "radio" && (e.key === "Enter" || (e.key === " " && e.target.checked))) {
      e.preventDefault(); // Enter (or Space on the chosen answer) confirms the selection
      if (e.target.checked) answered(e.target);
    }
  });
  form.addEventListener("click", function (e) {
    var t = e.target, go = t.closest && t.closest("[data-go]");
    if (go) {
      var where = go.getAttribute("data-go");
      if (where === "back" && current > 0) {
        // Back in the page is Back in the browser, so the phone's Back button and ours walk the same steps.
        if (depth > 0 && window.history && history.state && history.state.step === current) history.back();
        else show(current - 1);
      }
      else if (where === "next") show(current + 1);
      else if (where === "skip") {
        var picked = form.querySelector("input[name=outcome]:checked");
        if (picked) picked.checked = false;
        next();
      }
      return;
    }
    if (t.type === "radio") {
      var stepped = document.documentElement.classList.contains("js"); // one step per screen (not the plain form)
      if (stepped && e.detail > 0 && unsettled(t)) { e.preventDefault(); return; } // a double tap's echo: no answer
      // A tap or a click answers. A keyboard "click" (detail 0) answers only for Space: arrow keys just move
      // the selection within the group, and Enter confirms it (see keydown).
      if (e.detail > 0 || lastKey === " ") answered(t);
      lastKey = "";
    }
  });

  var contact = document.getElementById("contact"), emailBox = document.getElementById("email-box");
  function toggleEmail() { emailBox.hidden = !contact.checked; }
  contact.addEventListener("change", toggleEmail);
  toggleEmail();

  /* The outbox: every response is written to localStorage before it is sent and removed once the server decided.
     What storage gives back is read, not trusted (ASVS V15.3.6): into an object without a prototype, only entries
     named by a response id (no __proto__, no constructor) and sent to a path of this site (never //host). */
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  function own(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }
  function outbox() {
    var stored, box = Object.create(null);
    try { stored = JSON.parse(localStorage.getItem(KEY) || "{}"); } catch (e) { stored = null; }
    if (stored && typeof stored === "object") Object.keys(stored).forEach(function (id) {
      var entry = stored[id];
      if (UUID.test(id) && entry && typeof entry.url === "string" && /^\/(?![\/\\])/.test(entry.url)) box[id] = entry;
    });
    return box;
  }
  function keep(box) { try { localStorage.setItem(KEY, JSON.stringify(box)); } catch (e) { /* private mode: memory only */ } }

  function payload() {
    var outcome = form.querySelector("input[name=outcome]:checked");
    var list = Object.keys(answers).map(function (k) { return answers[k]; });
    list.sort(function (a, b) { return a.position - b.position; });
    var wantsContact = contact.checked;
    return {
      id: responseId, survey_version_id: D.survey_version_id, invitation: D.invitation || null,
      zone_id: D.zone_id || null, channel: D.channel, channel_params: D.channel_params || {}, language: D.language,
      started_at: startedAt || new Date().toISOString(), submitted_at: new Date().toISOString(),
      answers: list, outcome: outcome ? parseInt(outcome.value, 10) : null,
      comment: document.getElementById("comment").value.trim().slice(0, 280),
      consent: { contact: wantsContact, email: wantsContact ? document.getElementById("email").value.trim() : null },
      client: { viewport_width: window.innerWidth, touch: "ontouchstart" in window || navigator.maxTouchPoints > 0, js: true }
    };
  }

  function deliver(entry) {
    var abort = window.AbortController ? new AbortController() : null;
    var timer = setTimeout(function () { if (abort) abort.abort(); }, SEND_TIMEOUT_MS);
    var sent = fetch(entry.url, {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify(entry.payload), credentials: "omit", signal: abort ? abort.signal : undefined
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) { return { status: r.status, body: body }; });
    }, function () { return { status: 0, body: {} }; });
    // Without AbortController a hung request is given up on all the same (the response stays in the outbox).
    var late = new Promise(function (resolve) { setTimeout(function () { resolve({ status: 0, body: {} }); }, SEND_TIMEOUT_MS + 500); });
    return Promise.race([sent, late]).then(function (res) { clearTimeout(timer); return res; });
  }
  function retryable(status) { return status === 0 || status === 408 || status === 429 || status >= 500; }

  var flushing = false, retryTimer = null;
  function flush() {
    if (flushing || PREVIEW) return;
    var box = outbox(), ids = Object.keys(box);
    if (!ids.length) return;
    flushing = true;
    var chain = Promise.resolve();
    ids.forEach(function (id) {
      chain = chain.then(function () {
        return deliver(box[id]).then(function (res) {
          if (retryable(res.status)) return;
          var fresh = outbox(); delete fresh[id]; keep(fresh);
          if (id === responseId && res.status < 300) {
            thank(res.body, false);
            document.getElementById("sent-later").textContent = D.t.sent_later;
          }
        });
      });
    });
    chain.then(function () {
      flushing = false;
      clearTimeout(retryTimer);
      if (Object.keys(outbox()).length) retryTimer = setTimeout(flush, 20000);
    });
  }

  function thank(body, queued) {
    var tk = body.thank_you || {};
    document.getElementById("thanks-title").textContent = queued ? D.t.queued_headline : (tk.headline || D.t.thanks_headline);
    document.getElementById("thanks-body").textContent = queued ? D.t.queued_body : (tk.body || D.t.thanks_body);
    if (body.receipt_code) {
      document.getElementById("receipt-code").textContent = body.receipt_code;
      document.getElementById("receipt").hidden = false;
      var link = document.getElementById("receipt-link");
      if (link && tk.receipt_url) { link.href = tk.receipt_url + "?lang=" + D.language; link.hidden = false; }
    }
    var reward = body.reward, about = reward && reward.description;
    if (about && typeof about === "object") about = about[D.language] || about.en || "";
    if (reward && (reward.code || about)) {
      document.getElementById("reward-title").textContent = about || "";
      document.getElementById("reward-code").textContent = reward.code || "";
      document.getElementById("reward").hidden = false;
    }
    form.setAttribute("data-state", queued ? "queued" : "sent");
    forget();
    if (steps[current].id !== "thanks") show(steps.length - 1);
    // For a page beside this one (the kiosk screen, kiosk.js): the shopper has been thanked.
    form.dispatchEvent(new CustomEvent("pejling:thanks", { bubbles: true, detail: { queued: queued } }));
  }

  var sendError = document.getElementById("send-error"), sendButton = document.getElementById("send");
  function refuse(res) {
    var field = (res.body && res.body.field) || "";
    sendError.textContent = /^consent/.test(field) ? D.t.error_email : /^answers/.test(field) ? D.t.error_answers : D.t.error_generic;
    sendError.hidden = false;
    sendError.setAttribute("tabindex", "-1");
    sendError.focus();
  }

  form.addEventListener("submit", function (e) {
    e.preventDefault();
    if (steps[current].id !== "last") { // Enter pressed in an earlier step
      var picked = steps[current].querySelector("input:checked");
      if (picked) answered(picked);
      return;
    }
    var email = document.getElementById("email");
    if (contact.checked && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email.value.trim())) {
      refuse({ body: { field: "consent.email" } });
      return;
    }
    sendError.hidden = true;
    if (PREVIEW) { thank({ thank_you: { body: D.t.preview_done } }, false); return; }
    sendButton.disabled = true;
    sendButton.textContent = D.t.sending;
    var entry = { url: D.submit_url, payload: payload() };
    var box = outbox(); box[responseId] = entry; keep(box); // saved before it travels: never lost
    deliver(entry).then(function (res) {
      sendButton.disabled = false;
      sendButton.textContent = D.t.submit;
      if (retryable(res.status)) { thank({}, true); retryTimer = setTimeout(flush, 20000); return; }
      var fresh = outbox(); delete fresh[responseId]; keep(fresh);
      if (res.status < 300) thank(res.body, false);
      else refuse(res);
    });
  });

  /* Progress in this tab (sessionStorage): the response id, the answers with their reaction times, the screen. */
  function save() {
    if (PREVIEW || form.hasAttribute("data-state")) return;
    var outcome = form.querySelector("input[name=outcome]:checked");
    var state = { id: responseId, started_at: startedAt, answers: answers, step: current, order: ids(),
                  outcome: outcome ? outcome.value : null, comment: document.getElementById("comment").value,
                  contact: contact.checked };
    try { sessionStorage.setItem(PROGRESS, JSON.stringify(state)); } catch (e) { /* private mode: no memory */ }
  }
  /* Each page load shuffles the statements: a resumed survey keeps the order the shopper was answering in. */
  function reorder(order) {
    var now = ids();
    if (!order || order.length !== now.length || order.slice().sort().join() !== now.slice().sort().join()) return;
    var byId = Object.create(null), anchor = document.getElementById("outcome");
    statements.forEach(function (s) { byId[s.getAttribute("data-id")] = s; });
    statements = order.map(function (id, position) {
      var step = byId[id];
      step.setAttribute("data-position", String(position));
      var legend = step.querySelector("legend .vh");
      if (legend) legend.textContent = D.t.statement_legend.replace("{n}", position + 1).replace("{total}", order.length) + ": ";
      anchor.parentNode.insertBefore(step, anchor);
      return step;
    });
    steps = [].slice.call(form.querySelectorAll(".step"));
    var field = form.querySelector("input[name=order]");
    if (field) field.value = order.join(",");
  }
  function forget() { try { sessionStorage.removeItem(PROGRESS); } catch (e) { /* nothing kept */ } }
  function restore() {
    var state;
    try { state = PREVIEW ? null : JSON.parse(sessionStorage.getItem(PROGRESS) || "null"); } catch (e) { state = null; }
    if (!state || !UUID.test(state.id) || outbox()[state.id]) return 0; // nothing (usable) kept, or already on its way
    reorder(state.order);
    responseId = state.id; startedAt = state.started_at || null;
    var kept = state.answers && typeof state.answers === "object" ? state.answers : {};
    answers = {}; // only this page's statements come back (a stored "__proto__" is not one of them)
    ids().forEach(function (id) { if (own(kept, id) && kept[id] && typeof kept[id] === "object") answers[id] = kept[id]; });
    Object.keys(answers).forEach(function (id) {
      var value = answers[id].not_applicable ? "na" : answers[id].value;
      var box = form.querySelector('input[name="s:' + id + '"][value="' + value + '"]');
      if (box) box.checked = true;
    });
    var outcome = state.outcome !== null && form.querySelector('input[name=outcome][value="' + state.outcome + '"]');
    if (outcome) outcome.checked = true;
    document.getElementById("comment").value = state.comment || "";
    contact.checked = !!state.contact; toggleEmail();
    var step = Math.max(0, Math.min(steps.length - 2, parseInt(state.step, 10) || 0));
    return step;
  }
  /* A fresh start for the next person on a shared device (the kiosk screen, kiosk.js): nothing of the last one stays
     on the page or in this tab's progress, a new response id, and the statements in `order` when given. */
  function reset(order) {
    forget();
    form.reset();
    ["receipt", "reward", "send-error"].forEach(function (id) { document.getElementById(id).hidden = true; });
    ["thanks-title", "thanks-body", "receipt-code", "reward-title", "reward-code", "sent-later"].forEach(function (id) {
      document.getElementById(id).textContent = "";
    });
    var link = document.getElementById("receipt-link");
    if (link) { link.hidden = true; link.href = "/r"; }
    form.removeAttribute("data-state");
    toggleEmail();
    if (order) reorder(order);
    answers = {}; startedAt = null; responseId = uuid(); moving = false; depth = 0;
    if (window.history && history.replaceState) history.replaceState({ step: 0 }, "");
    show(0, true);
  }
  window.pejlingSurvey = { reset: reset };
  form.addEventListener("change", save);
  document.getElementById("comment").addEventListener("input", save);
  window.addEventListener("popstate", function (e) {
    var step = e.state && typeof e.state.step === "number" ? e.state.step : 0;
    if (form.hasAttribute("data-state") || step < 0 || step >= steps.length - 1) return;
    depth = Math.max(0, depth + (step < current ? -1 : 1));
    show(step, true);
  });
  window.addEventListener("online", flush);
  var resumeAt = restore();
  if (window.history && history.replaceState) {
    // A resumed survey: the phone's Back button first goes back one step, as it would have before the reload.
    history.replaceState({ step: Math.max(0, resumeAt - 1) }, "");
    if (resumeAt > 0) { history.pushState({ step: resumeAt }, ""); depth = 1; }
  }
  show(resumeAt, true);
  flush();
})();
