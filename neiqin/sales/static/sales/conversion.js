/* Opportunity conversion funnel (sales:opportunity_conversion). The data comes from a
   json_script block (CSP-safe): {"title": "...", "stages": [{"name": "线索", "value": 12}, ...]}. */
(function () {
  "use strict";

  function draw() {
    var el = document.getElementById("conversion-funnel");
    if (!el || !window.echarts) { return; }
    var source = document.getElementById(el.dataset.source);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var top = data.stages.length ? data.stages[0].value : 0;
    var chart = echarts.init(el, null, { renderer: "canvas" });
    chart.setOption({
      tooltip: {
        trigger: "item",
        formatter: function (p) {
          var share = top ? Math.round((p.value * 1000) / top) / 10 : 0;
          return p.name + ": " + p.value + " (" + share + "%)";
        },
      },
      series: [{
        name: data.title,
        type: "funnel",
        sort: "none",
        left: "5%",
        width: "90%",
        minSize: "8%",
        gap: 2,
        label: { show: true, position: "inside", formatter: "{b} {c}" },
        data: data.stages,
      }],
    });
    window.addEventListener("resize", function () { chart.resize(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
