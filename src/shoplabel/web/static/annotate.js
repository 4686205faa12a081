/* ShopLabel annotate page: fetch a task, draw it, answer by keyboard or mouse, no reloads.
   Talks to the JSON API with the session cookie and the page's CSRF token header. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("annotate-config").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var $ = function (id) { return document.getElementById(id); };
  var CHOICE = { categorical: 1, ordinal: 1, pairwise: 1 };
  var LONG_TEXT = 180;
  var keymap = {};
  cfg.labels.forEach(function (o) { if (o.hotkey) { keymap[o.hotkey.toLowerCase()] = o; } });

  var state = { task: null, started: 0, choice: null, multi: [], rating: null,
                spans: [], text: "", caret: 0, anchor: null, sel: null, busy: false, done: 0 };
  var timer = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }
  function say(text, isError) {
    var s = $("status");
    s.textContent = text || "";
    s.classList.toggle("error", !!isError);
  }
  function api(path) {
    var body = arguments.length > 1 ? JSON.stringify(arguments[1]) : null;
    var headers = { "Content-Type": "application/json" };
    headers[cfg.csrf_header] = csrf;
    return fetch(cfg.api + path, { method: "POST", credentials: "same-origin", headers: headers, body: body });
  }
  function errorText(r) {
    return r.json().then(function (b) {
      return { code: b.error ? b.error.code : "", text: msg["annotate.error"] + ": " + (b.error ? b.error.message : r.status) };
    }, function () { return { code: "", text: msg["annotate.error"] + ": " + r.status }; });
  }

  /* ---------- item rendering ---------- */
  function fieldAt(data, path) {
    var node = data;
    path.split(".").forEach(function (p) { node = (node && typeof node === "object") ? node[p] : undefined; });
    return typeof node === "string" ? node : null;
  }
  function textBlock(key, value) {
    var s = String(value);
    if (s.length > LONG_TEXT) {
      return el("details", { "class": "long" }, [
        el("summary", { text: s.slice(0, 120) + "… (" + msg["field.more"] + ")" }),
        el("p", { "class": "prewrap", text: s })]);
    }
    return el("p", { "class": "prewrap", text: s });
  }
  function attributes(obj) {
    var dl = el("dl", { "class": "attrs" });
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      dl.appendChild(el("dt", { text: k }));
      dl.appendChild(el("dd", { text: (v && typeof v === "object") ? JSON.stringify(v) : String(v) }));
    });
    return dl;
  }
  function renderFields(obj, box, skipPath, prefix) {
    var heading = obj.title || obj.name;
    var headPath = obj.title ? "title" : "name";
    if (heading && (prefix + headPath) !== skipPath) {
      box.appendChild(el("h2", { "class": "product-title", text: String(heading) }));
    }
    if (obj.image_url && /^https?:\/\//.test(String(obj.image_url))) {
      box.appendChild(el("img", { src: String(obj.image_url), alt: String(heading || ""),
        referrerpolicy: "no-referrer", loading: "lazy", "class": "product-image" }));
    }
    if (obj.price !== undefined && obj.price !== null && obj.price !== "") {
      box.appendChild(el("p", { "class": "price" }, [
        el("span", { "class": "muted", text: msg["field.price"] + " " }), el("strong", { text: String(obj.price) })]));
    }
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      var path = prefix + k;
      if (["title", "name", "image_url", "price"].indexOf(k) >= 0 || path === skipPath || v === null) { return; }
      if (k === "query") {
        box.appendChild(el("p", { "class": "query" }, [
          el("span", { "class": "muted", text: msg["field.query"] + " " }), el("strong", { text: String(v) })]));
      } else if (k === "attributes" && typeof v === "object") {
        box.appendChild(el("h3", { text: msg["field.attributes"] }));
        box.appendChild(attributes(v));
      } else if (typeof v === "object") {
        var sub = el("section", { "class": "sub" }, [el("h3", { text: k })]);
        renderFields(v, sub, skipPath, path + ".");
        box.appendChild(sub);
      } else {
        box.appendChild(el("h3", { text: k === "description" ? msg["field.description"] : k }));
        box.appendChild(textBlock(k, v));
      }
    });
  }
  function renderItem(data) {
    var box = $("item");
    box.textContent = "";
    var skip = cfg.kind === "spans" ? cfg.field : "";
    var isObj = function (v) { return v && typeof v === "object"; };
    if (isObj(data.left) && isObj(data.right)) {
      var rest = {};
      Object.keys(data).forEach(function (k) { if (k !== "left" && k !== "right") { rest[k] = data[k]; } });
      renderFields(rest, box, skip, "");
      var pair = el("div", { "class": "pair" });
      [["left", "annotate.left"], ["right", "annotate.right"]].forEach(function (side) {
        var col = el("section", { "class": "side card", "data-side": side[0] }, [el("h3", { "class": "side-name", text: msg[side[1]] })]);
        renderFields(data[side[0]], col, skip, side[0] + ".");
        pair.appendChild(col);
      });
      box.appendChild(pair);
    } else {
      renderFields(data, box, skip, "");
    }
  }

  /* ---------- answers ---------- */
  function labelButtons(selected) {
    var row = el("div", { "class": "labels", role: "group" });
    cfg.labels.forEach(function (o) {
      var on = selected(o.value);
      var b = el("button", { type: "button", "class": "label" + (on ? " on" : ""), "data-value": o.value,
        "aria-pressed": on ? "true" : "false", title: o.description || o.title },
        [el("kbd", { text: o.hotkey || "" }), document.createTextNode(" " + o.title)]);
      b.addEventListener("click", function () { pick(o); });
      row.appendChild(b);
    });
    return row;
  }
  function renderAnswer() {
    var box = $("answer");
    box.textContent = "";
    if (CHOICE[cfg.kind]) {
      box.appendChild(labelButtons(function (v) { return state.choice === v; }));
    } else if (cfg.kind === "multi_label") {
      box.appendChild(labelButtons(function (v) { return state.multi.indexOf(v) >= 0; }));
    } else if (cfg.kind === "rating") {
      renderRating(box);
    } else if (cfg.kind === "spans") {
      renderSpans(box);
    }
  }
  function renderRating(box) {
    var input = el("input", { type: "number", id: "rating", min: cfg.min, max: cfg.max,
      step: cfg.step || "any", "aria-label": msg["annotate.rating"] });
    if (state.rating !== null) { input.value = state.rating; }
    input.addEventListener("input", function () { state.rating = input.value === "" ? null : Number(input.value); });
    box.appendChild(el("label", { "class": "rating", "for": "rating" }, [
      el("span", { text: msg["annotate.rating"] + " (" + cfg.min + "–" + cfg.max + ") " }), input]));
    var stars = el("div", { "class": "labels" });
    if (cfg.step && cfg.max - cfg.min <= 10) {
      for (var v = cfg.min; v <= cfg.max + 1e-9; v += cfg.step) {
        (function (value) {
          var b = el("button", { type: "button", "class": "label" + (state.rating === value ? " on" : ""),
            "data-value": String(value), text: String(value) });
          b.addEventListener("click", function () { setRating(value); });
          stars.appendChild(b);
        })(Math.round(v * 1000) / 1000);
      }
    }
    box.appendChild(stars);
  }
  function setRating(v) {
    var lo = cfg.min, hi = cfg.max;
    state.rating = Math.min(hi, Math.max(lo, v));
    renderAnswer();
  }

  /* spans: one <span data-i> per character makes mouse and caret positions exact */
  function renderSpans(box) {
    box.appendChild(el("p", { "class": "muted", text: msg["annotate.spans_hint"] }));
    box.appendChild(labelButtons(function () { return false; }));
    var owner = {};
    state.spans.forEach(function (s, n) { for (var i = s.start; i < s.end; i++) { owner[i] = n; } });
    var div = el("div", { id: "spantext", "class": "spantext", tabindex: "0" });
    for (var i = 0; i <= state.text.length; i++) {
      var ch = i < state.text.length ? state.text[i] : "\u200b";
      var cls = [];
      if (owner[i] !== undefined) { cls.push("in-span", "lab-" + cfg.labels.findIndex(function (o) { return o.value === state.spans[owner[i]].label; })); }
      if (state.sel && i >= state.sel.start && i < state.sel.end) { cls.push("sel"); }
      if (i === state.caret) { cls.push("caret"); }
      div.appendChild(el("span", { "data-i": String(i), "class": cls.join(" "), text: ch }));
    }
    div.addEventListener("mouseup", mouseSelection);
    box.appendChild(div);
    var list = el("ul", { id: "spanlist", "class": "spanlist" });
    if (!state.spans.length) { list.appendChild(el("li", { "class": "muted", text: msg["annotate.spans_none"] })); }
    state.spans.forEach(function (s) {
      var o = cfg.labels.find(function (x) { return x.value === s.label; });
      list.appendChild(el("li", { "data-label": s.label, text: (o ? o.title : s.label) + ": " + state.text.slice(s.start, s.end) }));
    });
    box.appendChild(list);
  }
  function charIndex(node, offset) {
    var holder = node.nodeType === 3 ? node.parentNode : node;
    if (holder && holder.id === "spantext") {
      var child = holder.childNodes[Math.min(offset, holder.childNodes.length - 1)];
      return child ? Number(child.getAttribute("data-i")) : 0;
    }
    var i = holder && holder.getAttribute ? holder.getAttribute("data-i") : null;
    return i === null ? null : Number(i) + (node.nodeType === 3 && offset > 0 ? 1 : 0);
  }
  function mouseSelection() {
    var s = window.getSelection();
    if (!s || s.rangeCount === 0 || s.isCollapsed) { return; }
    var r = s.getRangeAt(0);
    var a = charIndex(r.startContainer, r.startOffset), b = charIndex(r.endContainer, r.endOffset);
    if (a === null || b === null) { return; }
    a = Math.min(a, state.text.length); b = Math.min(b, state.text.length);
    if (b > a) { state.sel = { start: a, end: b }; state.caret = b; state.anchor = a; }
    s.removeAllRanges();
    renderAnswer();
  }
  function moveCaret(delta, extend) {
    var c = Math.max(0, Math.min(state.text.length, state.caret + delta));
    if (extend) {
      if (state.anchor === null) { state.anchor = state.caret; }
      state.caret = c;
      var lo = Math.min(state.anchor, c), hi = Math.max(state.anchor, c);
      state.sel = hi > lo ? { start: lo, end: hi } : null;
    } else {
      state.caret = c; state.anchor = null; state.sel = null;
    }
    renderAnswer();
  }
  function addSpan(o) {
    if (!state.sel) { say(msg["annotate.spans_hint"], true); return; }
    var s = state.sel;
    var clash = state.spans.some(function (x) { return s.start < x.end && x.start < s.end; });
    if (clash) { say(msg["annotate.spans_hint"], true); return; }
    state.spans.push({ start: s.start, end: s.end, label: o.value });
    state.spans.sort(function (x, y) { return x.start - y.start; });
    state.sel = null; state.anchor = null;
    say("");
    renderAnswer();
  }

  function pick(o) {
    if (CHOICE[cfg.kind]) { state.choice = o.value; }
    else if (cfg.kind === "multi_label") {
      var i = state.multi.indexOf(o.value);
      if (i >= 0) { state.multi.splice(i, 1); } else { state.multi.push(o.value); }
    } else if (cfg.kind === "spans") { addSpan(o); return; }
    renderAnswer();
  }
  function value() {
    if (CHOICE[cfg.kind]) { return state.choice; }
    if (cfg.kind === "multi_label") { return state.multi.slice(); }
    if (cfg.kind === "rating") { return state.rating; }
    return state.spans.map(function (s) { return { start: s.start, end: s.end, label: s.label }; });
  }

  /* ---------- task flow ---------- */
  function reset(task) {
    state.task = task; state.started = Date.now(); state.choice = null; state.multi = [];
    state.rating = null; state.spans = []; state.sel = null; state.anchor = null; state.caret = 0;
    state.text = task && cfg.kind === "spans" ? (fieldAt(task.data, cfg.field) || "") : "";
  }
  function startTimer() {
    if (timer) { clearInterval(timer); }
    var expires = Date.parse(state.task.expires_at);
    var tick = function () {
      var left = Math.max(0, Math.round((expires - Date.now()) / 1000));
      $("countdown").textContent = Math.floor(left / 60) + ":" + String(left % 60).padStart(2, "0");
      if (left <= 0) { clearInterval(timer); timer = null; say(msg["annotate.expired"], true); next(); }
    };
    tick();
    timer = setInterval(tick, 1000);
  }
  function showDone() {
    if (timer) { clearInterval(timer); timer = null; }
    state.task = null;
    $("task").hidden = true; $("done").hidden = false; say("");
    $("countdown").textContent = "--:--";
  }
  function next() {
    state.busy = true;
    say(msg["annotate.loading"]);
    return api("/projects/" + cfg.project_id + "/tasks/next").then(function (r) {
      state.busy = false;
      if (r.status === 204) { showDone(); return null; }
      if (!r.ok) { return errorText(r).then(function (e) { say(e.text, true); }); }
      return r.json().then(function (task) {
        reset(task);
        renderItem(task.data);
        renderAnswer();
        $("task").hidden = false; $("done").hidden = true;
        $("task").setAttribute("data-lease", String(task.lease_id));
        say("");
        startTimer();
      });
    }, function () { state.busy = false; say(msg["annotate.error"], true); });
  }
  function submit() {
    if (!state.task || state.busy) { return; }
    var v = value();
    var tooFew = cfg.kind === "multi_label" && v.length < cfg.min_selected;
    if (v === null || v === undefined || tooFew) {
      say(msg["annotate.choose"], true); return;
    }
    state.busy = true;
    api("/tasks/" + state.task.lease_id + "/annotations", { value: v, duration_ms: Date.now() - state.started }).then(function (r) {
      state.busy = false;
      if (r.ok) { state.done += 1; $("progress").textContent = String(state.done); return next(); }
      return errorText(r).then(function (e) {
        say(e.text, true);
        if (e.code.indexOf("lease") === 0) { next(); }
      });
    }, function () { state.busy = false; say(msg["annotate.error"], true); });
  }
  function skip() {
    if (!state.task || state.busy) { return; }
    state.busy = true;
    api("/tasks/" + state.task.lease_id + "/skip").then(function (r) {
      state.busy = false;
      if (r.ok) { return next(); }
      return errorText(r).then(function (e) { say(e.text, true); if (e.code.indexOf("lease") === 0) { next(); } });
    });
  }
  function toggle(id, force) {
    var node = $(id);
    node.hidden = force === undefined ? !node.hidden : !force;
  }

  function onKey(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    var tag = ev.target && ev.target.tagName;
    var typing = tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
    var k = ev.key;
    if (k === "Escape") { toggle("help", false); toggle("instructions", false); return; }
    if (k === "Enter") {
      if (tag === "BUTTON" && !typing) { return; }  /* let a focused button do its own click */
      ev.preventDefault(); submit(); return;
    }
    if (typing) { return; }
    if (k === "?") { ev.preventDefault(); toggle("help"); return; }
    if (k === "i" || k === "I") { ev.preventDefault(); toggle("instructions"); return; }
    if (k === "s" || k === "S") { ev.preventDefault(); skip(); return; }
    if (cfg.kind === "spans" && (k === "ArrowLeft" || k === "ArrowRight")) {
      ev.preventDefault(); moveCaret(k === "ArrowLeft" ? -1 : 1, ev.shiftKey); return;
    }
    if (cfg.kind === "spans" && k === "Backspace") { ev.preventDefault(); state.spans.pop(); renderAnswer(); return; }
    if (cfg.kind === "rating") {
      var step = cfg.step || 1;
      var cur = state.rating === null ? cfg.min - step : state.rating;
      if (k === "ArrowUp" || k === "ArrowRight") { ev.preventDefault(); setRating(cur + step); return; }
      if (k === "ArrowDown" || k === "ArrowLeft") { ev.preventDefault(); setRating(state.rating === null ? cfg.min : cur - step); return; }
      if (/^[0-9]$/.test(k) && Number(k) >= cfg.min && Number(k) <= cfg.max) { ev.preventDefault(); setRating(Number(k)); return; }
    }
    var o = keymap[k.toLowerCase()];
    if (o && state.task) { ev.preventDefault(); pick(o); }
  }

  document.addEventListener("keydown", onKey);
  $("submit").addEventListener("click", submit);
  $("skip").addEventListener("click", skip);
  $("toggle-help").addEventListener("click", function () { toggle("help"); });
  $("close-help").addEventListener("click", function () { toggle("help", false); });
  $("toggle-instructions").addEventListener("click", function () { toggle("instructions"); });
  next();
})();
