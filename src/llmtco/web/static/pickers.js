// Catalog pickers of the editor form (a file, not inline: the CSP allows no inline scripts).
// Typing in a picker's search box must not submit the form; picking a record fills its field and submits.
document.addEventListener("change", function (event) {
  var t = event.target;
  if (t && t.classList && t.classList.contains("picker-q")) { event.stopPropagation(); }
}, true);
document.addEventListener("click", function (event) {
  var button = event.target && event.target.closest ? event.target.closest("button.pick") : null;
  if (!button) { return; }
  var field = document.getElementById(button.getAttribute("data-target") || "");
  if (!field) { return; }
  field.value = button.getAttribute("data-value");
  field.dispatchEvent(new Event("change", { bubbles: true }));
});
