// "Select every link on this page": ticks or clears the row checkboxes of the same form.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select]")) return;
  var form = box.form || document;
  form.querySelectorAll('input[type=checkbox][name="' + box.dataset.select + '"]').forEach(function (row) {
    row.checked = box.checked;
  });
});
