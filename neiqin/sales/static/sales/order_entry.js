/* Order entry from the keyboard (no inline scripts: CSP).
 * - Enter in a field of the order form moves to the next field instead of saving half an order;
 *   Ctrl+Enter (or the 保存 button) saves.
 * - Enter in the customer search picks the first match; arrow down moves into the matches.
 */
(function () {
  "use strict";

  function fields(form) {
    return Array.prototype.filter.call(
      form.querySelectorAll("input:not([type=hidden]), select, textarea, button[data-save]"),
      function (el) { return !el.disabled && el.offsetParent !== null; }
    );
  }

  document.addEventListener("keydown", function (event) {
    var el = event.target;
    var form = el.closest && el.closest("form[data-order-form]");
    if (!form || event.key !== "Enter" || el.tagName === "TEXTAREA" || el.tagName === "BUTTON") { return; }
    if (event.ctrlKey || event.metaKey) {
      event.preventDefault();
      form.requestSubmit();
      return;
    }
    event.preventDefault();
    if (el.hasAttribute("data-customer-search")) {
      var first = document.querySelector("#customer-results [data-customer-option]");
      if (first) { first.click(); }
      return;
    }
    var list = fields(form);
    var next = list[list.indexOf(el) + 1];
    if (next) { next.focus(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" || !event.target.hasAttribute || !event.target.hasAttribute("data-customer-search")) { return; }
    var first = document.querySelector("#customer-results [data-customer-option]");
    if (first) { event.preventDefault(); first.focus(); }
  });

  /* After a customer is picked, continue with the first line's model. */
  document.addEventListener("customer-picked", function () {
    var first = document.querySelector("#order-lines input[name=line_product]");
    if (first) { first.focus(); }
  });
})();
