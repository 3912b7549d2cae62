// "Select every link on this page": ticks or clears the row checkboxes of the same form.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select]")) return;
  var form = box.form || document;
  form.querySelectorAll('input[type=checkbox][name="' + box.dataset.select + '"]').forEach(function (row) {
    row.checked = box.checked;
  });
});

// A TikTok category picked from the search results fills the form's category fields.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("button[data-category-id]");
  if (!button) return;
  var form = button.closest("form");
  form.querySelector("input[name=category_id]").value = button.dataset.categoryId;
  form.querySelector("input[name=category_path]").value = button.dataset.categoryPath;
});
