// Stock document entry: "添加一行" clones the last line row with empty inputs (no inline scripts: CSP).
(function () {
  "use strict";

  function renumber(body) {
    body.querySelectorAll("[data-line-row]").forEach(function (row, index) {
      var cell = row.querySelector("[data-row-number]");
      if (cell) {
        cell.textContent = String(index + 1);
      }
    });
  }

  function addRow(body) {
    var rows = body.querySelectorAll("[data-line-row]");
    if (!rows.length) {
      return;
    }
    var clone = rows[rows.length - 1].cloneNode(true);
    clone.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.classList.remove("is-invalid");
    });
    clone.querySelectorAll(".invalid-feedback, [data-row-product]").forEach(function (node) {
      node.remove();
    });
    body.appendChild(clone);
    renumber(body);
    var first = clone.querySelector("input");
    if (first) {
      first.focus();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-add-row]");
    if (!button) {
      return;
    }
    var form = button.closest("[data-entry-form]");
    var body = form && form.querySelector("[data-line-rows]");
    if (body) {
      event.preventDefault();
      addRow(body);
    }
  });
})();
