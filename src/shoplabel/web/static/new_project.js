/* Create-project form: choosing a template prefills the label schema and instructions; a
   table edits the schema's labels (value, title, description, hotkey) and writes them back
   into the JSON field, which stays the form's source of truth; JSON fields are checked as
   they are typed; the exam and custom-rules fields show only when switched on. */
(function () {
  "use strict";
  var defaults = JSON.parse(document.getElementById("template-defaults").textContent);
  var msg = JSON.parse(document.getElementById("messages").textContent);
  var select = document.getElementById("template");
  var labels = document.getElementById("labels");
  var editor = document.getElementById("label-editor");
  var rows = document.querySelector("#label-rows tbody");
  var COLS = ["value", "title", "description", "hotkey"];

  function parse(text) {
    try { return JSON.parse(text); } catch (e) { return undefined; }
  }
  function liveCheck(field) {
    var box = document.getElementById(field.id + "-live");
    var bad = field.value.trim() !== "" && parse(field.value) === undefined;
    box.hidden = !bad;
    field.setAttribute("aria-invalid", bad ? "true" : "false");
  }
  function option(o) {
    return typeof o === "string" ? { value: o, title: o, description: "", hotkey: "" } : o;
  }
  function render() {
    var schema = parse(labels.value);
    var ok = schema && Array.isArray(schema.labels);
    editor.hidden = !ok;
    rows.textContent = "";
    if (!ok) { return; }
    schema.labels.map(option).forEach(function (o, i) {
      var tr = document.createElement("tr");
      tr.dataset.i = String(i);
      COLS.forEach(function (c) {
        var td = document.createElement("td");
        var input = document.createElement("input");
        input.value = o[c] || "";
        input.dataset.col = c;
        input.setAttribute("aria-label", msg["new.label_" + c] + " " + (i + 1));
        if (c === "hotkey") { input.maxLength = 1; input.size = 2; }
        td.appendChild(input);
        tr.appendChild(td);
      });
      var del = document.createElement("td");
      var b = document.createElement("button");
      b.type = "button"; b.className = "remove"; b.textContent = msg["new.remove_label"];
      del.appendChild(b); tr.appendChild(del);
      rows.appendChild(tr);
    });
  }
  function writeBack() {
    var schema = parse(labels.value) || {};
    schema.labels = Array.prototype.map.call(rows.querySelectorAll("tr"), function (tr) {
      var o = {};
      tr.querySelectorAll("input").forEach(function (input) {
        if (input.value !== "" || input.dataset.col === "value") { o[input.dataset.col] = input.value; }
      });
      return o;
    });
    labels.value = JSON.stringify(schema, null, 2);
    liveCheck(labels);
  }
  rows.addEventListener("input", writeBack);
  rows.addEventListener("click", function (e) {
    if (e.target.classList.contains("remove")) { e.target.closest("tr").remove(); writeBack(); }
  });
  document.getElementById("add-label").addEventListener("click", function () {
    var schema = parse(labels.value) || {};
    schema.labels = (schema.labels || []).concat([{ value: "", title: "" }]);
    labels.value = JSON.stringify(schema, null, 2);
    render();
    var last = rows.querySelector("tr:last-child input");
    if (last) { last.focus(); }
  });
  labels.addEventListener("input", function () { liveCheck(labels); });
  labels.addEventListener("change", render);
  select.addEventListener("change", function () {
    var d = defaults[select.value];
    if (!d) { return; }
    labels.value = JSON.stringify(d.schema, null, 2);
    document.getElementById("instructions").value = d.instructions;
    render();
  });

  var rules = document.getElementById("quality_rules");
  var mode = document.getElementById("rules_mode");
  function showRules() {
    rules.hidden = mode.value !== "custom";
    if (rules.hidden) { document.getElementById("quality_rules-live").hidden = true; }
  }
  mode.addEventListener("change", showRules);
  rules.addEventListener("input", function () { liveCheck(rules); });
  var exam = document.getElementById("exam");
  var examFields = document.getElementById("exam-fields");
  function showExam() { examFields.hidden = !exam.checked && !examFields.querySelector(".has-error"); }
  exam.addEventListener("change", showExam);
  var overlap = document.getElementById("overlap_mode");
  var target = document.getElementById("target_confidence").closest(".field");
  function showTarget() { target.hidden = overlap.value !== "dynamic" && !target.classList.contains("has-error"); }
  overlap.addEventListener("change", showTarget);
  showRules(); showExam(); showTarget(); render();
})();
