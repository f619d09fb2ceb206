/* Draws each chart of a console page from the JSON block the page carries:
   <canvas data-chart="ID"> and <script type="application/json" id="ID">{...}</script>.
   No inline script anywhere: the console's Content-Security-Policy is script-src 'self'.
   The JSON: {"labels": [...], "datasets": [{"label": "...", "data": [...], "color"?: "#..."}],
   "horizontal"?: true, "stacked"?: true, "type"?: "bar"|"line"}. Every chart's numbers are
   also in a table on the page, for screen readers and for copying. */
(function () {
  "use strict";
  // Okabe-Ito's colour-blind-safe set, darkened a little for contrast on white.
  var PALETTE = ["#0072b2", "#009e73", "#d55e00", "#cc79a7", "#e69f00", "#56b4e9", "#8c7a00", "#555555"];

  function draw(canvas) {
    var block = document.getElementById(canvas.getAttribute("data-chart"));
    if (!block || typeof window.Chart === "undefined") {
      return;
    }
    var spec = JSON.parse(block.textContent);
    var horizontal = !!spec.horizontal;
    var datasets = spec.datasets.map(function (set, i) {
      var colour = set.color || PALETTE[i % PALETTE.length];
      return {
        label: set.label,
        data: set.data,
        backgroundColor: colour,
        borderColor: colour,
        borderWidth: 1,
        stack: set.stack
      };
    });
    if (horizontal) {
      // Room for each label's bars, set through the DOM (a style attribute would break
      // the page's style-src 'self').
      var perLabel = spec.stacked ? 34 : 18 * datasets.length + 16;
      canvas.parentNode.style.height = Math.max(180, 90 + perLabel * spec.labels.length) + "px";
    }
    var valueAxis = {beginAtZero: true, stacked: !!spec.stacked, ticks: {precision: 0}};
    var labelAxis = {stacked: !!spec.stacked, ticks: {autoSkip: false}};
    new window.Chart(canvas, {
      type: spec.type || "bar",
      data: {labels: spec.labels, datasets: datasets},
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: {legend: {position: "bottom"}},
        scales: horizontal ? {x: valueAxis, y: labelAxis} : {x: labelAxis, y: valueAxis}
      }
    });
  }

  document.querySelectorAll("canvas[data-chart]").forEach(draw);
})();
