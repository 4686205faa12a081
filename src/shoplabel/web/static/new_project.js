/* Create-project form: choosing a template prefills the label schema and instructions. */
(function () {
  "use strict";
  var defaults = JSON.parse(document.getElementById("template-defaults").textContent);
  var select = document.getElementById("template");
  select.addEventListener("change", function () {
    var d = defaults[select.value];
    if (!d) { return; }
    document.getElementById("labels").value = JSON.stringify(d.schema, null, 2);
    document.getElementById("instructions").value = d.instructions;
  });
})();
