/* Exam page: a label's hotkey answers the question (the form posts and the page shows the
   next one); Enter starts the exam or goes on to label through the focused button. */
(function () {
  "use strict";
  var form = document.getElementById("answer");
  if (!form) { return; }
  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName)) { return; }
    var button = form.querySelector('button[data-hotkey="' + CSS.escape(e.key) + '"]');
    if (button) { e.preventDefault(); form.requestSubmit(button); }
  });
})();
