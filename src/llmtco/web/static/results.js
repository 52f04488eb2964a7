// Exports send the YAML as it is in the editor now, unsaved edits included (no inline scripts: CSP).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.hasAttribute || !form.hasAttribute("data-export")) { return; }
  var yaml = document.getElementById("yaml");
  if (yaml) { form.querySelector("[name=yaml]").value = yaml.value; }
});
