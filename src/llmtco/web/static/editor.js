// Copy the current YAML into the save form before it is submitted (no inline scripts: CSP).
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.id !== "save-form") { return; }
  var yaml = document.getElementById("yaml");
  form.querySelector("#save-yaml").value = yaml ? yaml.value : "";
});
