/* Review queue: A accept, C correct then a label hotkey, R reject (focus the reason),
   Enter confirm, S skip, ? help. Keys are ignored while typing, except Enter. */
(function () {
  "use strict";
  var form = document.getElementById("decide");
  if (!form) { return; }
  var values = document.getElementById("values");
  var help = document.getElementById("help");
  var reason = document.getElementById("reason");
  function choose(decision) {
    var radio = form.querySelector("input[name=decision][value=" + decision + "]");
    if (!radio || radio.disabled) { return; }
    radio.checked = true;
    values.hidden = decision !== "correct";
  }
  form.addEventListener("change", function (e) {
    if (e.target.name === "decision") { values.hidden = e.target.value !== "correct"; }
  });
  document.getElementById("help-toggle").addEventListener("click", function () { help.hidden = !help.hidden; });
  var checked = form.querySelector("input[name=decision]:checked");
  if (checked) { values.hidden = checked.value !== "correct"; }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName) && e.target.type !== "radio";
    if (e.key === "Enter") {
      if (e.target.tagName === "TEXTAREA" && e.shiftKey) { return; }
      e.preventDefault();
      form.requestSubmit();
      return;
    }
    if (e.key === "Escape") { help.hidden = true; if (typing) { e.target.blur(); } return; }
    if (typing) { return; }
    var key = e.key.toLowerCase();
    if (key === "a") { choose("accept"); }
    else if (key === "c") { choose("correct"); }
    else if (key === "r") { choose("reject"); e.preventDefault(); reason.focus(); }
    else if (key === "s") { document.getElementById("skip").click(); }
    else if (key === "?") { help.hidden = !help.hidden; }
    else if (!values.hidden) {
      var opt = values.querySelector('input[data-hotkey="' + CSS.escape(e.key) + '"]');
      if (!opt) { return; }
      opt.checked = true;
      reason.focus();
    } else { return; }
    e.preventDefault();
  });
})();
