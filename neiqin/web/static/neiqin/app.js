/* Neiqin page behaviour. No inline scripts anywhere (CSP): everything lives here. */
(function () {
  "use strict";

  /* ---- htmx: re-rendered forms come back as 422 and must be swapped in ---- */
  if (window.htmx) {
    htmx.config.allowEval = false; // hx-on / trigger filters would need 'unsafe-eval'
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "409", swap: true },
      { code: "[45]..", swap: false, error: true },
    ];
  }

  /* Keep pushed URLs short: drop empty filter values from GET requests. */
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get") { return; }
    var params = event.detail.parameters;
    Object.keys(params).forEach(function (key) {
      if (params[key] === "") { delete params[key]; }
    });
  });

  function toast(message, level) {
    var box = document.getElementById("toasts");
    if (!box || !window.bootstrap) { return; }
    var el = document.createElement("div");
    el.className = "toast align-items-center border-0 text-bg-" + (level || "danger");
    el.setAttribute("role", "alert");
    var row = document.createElement("div");
    row.className = "d-flex";
    var body = document.createElement("div");
    body.className = "toast-body";
    body.textContent = message;
    var close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close btn-close-white me-2 m-auto";
    close.setAttribute("data-bs-dismiss", "toast");
    row.appendChild(body);
    row.appendChild(close);
    el.appendChild(row);
    box.appendChild(el);
    new bootstrap.Toast(el, { delay: 6000 }).show();
    el.addEventListener("hidden.bs.toast", function () { el.remove(); });
  }

  /* ---- the shared modal: htmx loads a form into it, the server closes it ---- */
  function appModal() {
    var el = document.getElementById("app-modal");
    return el && window.bootstrap ? bootstrap.Modal.getOrCreateInstance(el) : null;
  }

  document.addEventListener("htmx:afterSwap", function (event) {
    if (event.detail.target && event.detail.target.id === "app-modal-content") {
      var modal = appModal();
      if (modal) { modal.show(); }
    }
  });

  document.addEventListener("neiqin:modal-close", function () {
    var modal = appModal();
    if (modal) { modal.hide(); }
  });

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    var message = status === 403 ? "您没有权限执行此操作。"
      : status === 404 ? "记录不存在或无权查看。"
      : "操作失败（" + status + "），请刷新页面后重试。";
    toast(message, "danger");
  });

  document.addEventListener("htmx:sendError", function () {
    toast("网络连接失败，请检查网络后重试。", "danger");
  });

  /* A login page swapped into a fragment means the session expired: reload the whole page. */
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.responseURL && xhr.responseURL.indexOf("/login/") !== -1) {
      event.detail.shouldSwap = false;
      window.location.href = xhr.responseURL;
    }
  });

  /* ---- confirmations on plain forms: <form data-confirm="…"> ---- */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm && !window.confirm(form.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  /* ---- copy buttons: <button data-copy="#input-id"> ---- */
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) { return; }
    var input = document.querySelector(button.dataset.copy);
    if (!input) { return; }
    input.select();
    var done = function () { button.classList.add("btn-success"); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done);
    } else if (document.execCommand("copy")) {
      done();
    }
  });

  /* ---- charts: <div data-chart="stage-bar" data-source="json-script-id"> ---- */
  var STAGE_COLORS = ["#adb5bd", "#3d8bfd", "#198754", "#e35d6a"];  // potential, intended, signed, lost

  function drawStageBar(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || !window.echarts) { return; }
    var data = JSON.parse(source.textContent);
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      color: STAGE_COLORS,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      legend: { top: 0 },
      grid: { left: 8, right: 16, bottom: 8, top: 36, containLabel: true },
      xAxis: { type: "category", data: data.categories, axisLabel: { interval: 0, hideOverlap: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: "bar", stack: "stage", barMaxWidth: 48, data: s.data, emphasis: { focus: "series" } };
      }),
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  function init(root) {
    (root || document).querySelectorAll('[data-chart="stage-bar"]').forEach(drawStageBar);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else {
    init();
  }
})();
