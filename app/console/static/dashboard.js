// Draws each dashboard figure with ECharts from the JSON the page carries beside it
// (the same rows as the table under it and the Excel export).
(function () {
  "use strict";
  var palette = ["#b0102a", "#e6a23c", "#2f6fb0", "#4c9a6a", "#7a4fa0"];

  function option(spec) {
    var horizontal = spec.kind === "bar" && spec.categories.length > 6;
    var category = { type: "category", data: spec.categories,
                     axisLabel: { interval: 0, hideOverlap: true } };
    var value = { type: "value", minInterval: 1 };
    return {
      color: palette,
      aria: { enabled: true },
      animation: false,
      tooltip: { trigger: "axis", confine: true },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 16, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? Object.assign({}, category, { inverse: true }) : value,
      series: spec.series.map(function (series) {
        return { type: spec.kind, name: series.name, data: series.data,
                 barMaxWidth: 28 };
      })
    };
  }

  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var source = document.getElementById(element.dataset.chart);
      if (!source || element.dataset.drawn) { return; }
      var chart = echarts.init(element, null, { renderer: "canvas" });
      chart.setOption(option(JSON.parse(source.textContent)));
      element.dataset.drawn = "yes";
      new ResizeObserver(function () { chart.resize(); }).observe(element);
    });
  }

  document.addEventListener("DOMContentLoaded", draw);
  // Pages swapped in by htmx bring their own charts.
  document.addEventListener("htmx:afterSettle", draw);
})();
