// One target's light curve: flux or magnitude, a colour per survey and filter, flagged points hollow,
// limits as triangles, surveys toggled, and a table of the points in view. Plotly draws; zoom and pan are its own.
"use strict";
const TABLE_ROWS = 500; // rows shown under the plot; the download has all of them
const lc = { view: "flux", flagged: true, compress: true, hidden: new Set(), data: null, groups: [], range: null };

// A peak far above the noise flattens the quiet years on a linear axis. Compressed, the flux axis is
// asinh(flux / L): linear within about L of zero, logarithmic beyond (the PNG's symlog, L from the server).
function squash(flux) {
  const L = lc.data.linear_within;
  return flux == null ? null : Math.asinh(flux / L);
}

function compressed() {
  return lc.view === "flux" && lc.compress && lc.data.linear_within != null;
}

function fluxTicks() {
  // Tick labels in µJy at 0, ±L·10^k and ±3·L·10^k (rounded to 2 significant digits).
  const L = lc.data.linear_within;
  const values = [0];
  for (let k = 0; k < 7; k++) {
    for (const m of [1, 3]) values.push(m * L * 10 ** k, -m * L * 10 ** k);
  }
  const nice = values.map((v) => Number(v.toPrecision(2)));
  return { tickvals: nice.map(squash), ticktext: nice.map((v) => v.toLocaleString()) };
}

function group(data) {
  // Per series: the indices of good and flagged points, detections and limits, computed once.
  const p = data.points;
  const groups = data.series.map((s) => ({ ...s, good: [], flagged: [], detGood: [], detFlagged: [], limits: [] }));
  for (let i = 0; i < data.rows; i++) {
    const g = groups[p.series[i]];
    (p.good[i] ? g.good : g.flagged).push(i);
    if (p.detected[i] && p.mag[i] != null) (p.good[i] ? g.detGood : g.detFlagged).push(i);
    else if (!p.detected[i] && p.limit[i] != null) g.limits.push(i);
  }
  return groups;
}

function errorBars(indices, y, err, color) {
  if (!err) return undefined;
  const p = lc.data.points;
  const style = { type: "data", thickness: 0.8, width: 0, color };
  if (!compressed()) return { ...style, array: indices.map((i) => p[err][i]) };
  // Compressed, the bars are the transformed ends: asymmetric.
  return {
    ...style,
    symmetric: false,
    array: indices.map((i) => squash(p[y][i] + p[err][i]) - squash(p[y][i])),
    arrayminus: indices.map((i) => squash(p[y][i]) - squash(p[y][i] - p[err][i])),
  };
}

function trace(g, indices, y, err, kind) {
  const p = lc.data.points;
  const hollow = kind === "flagged";
  const limit = kind === "limit";
  const squashed = compressed();
  return {
    type: "scatter",
    mode: "markers",
    name: `${g.label}${hollow ? " (flagged)" : limit ? " limits" : ""}`,
    legendgroup: g.service,
    meta: { service: g.service, kind },
    x: indices.map((i) => p.ms[i]),
    y: indices.map((i) => (squashed ? squash(p[y][i]) : p[y][i])),
    error_y: errorBars(indices, y, err, g.color),
    customdata: indices.map((i) => p[y][i]),
    marker: {
      color: g.color,
      size: limit ? 7 : 6,
      symbol: limit ? "triangle-down" : hollow ? "circle-open" : "circle",
      opacity: limit ? 0.45 : 0.85,
    },
    hovertemplate: `${g.label} %{x|%Y-%m-%d %H:%M}<br>%{customdata:.3f}<extra></extra>`,
  };
}

function traces() {
  const out = [];
  for (const g of lc.groups) {
    if (lc.hidden.has(g.service)) continue;
    if (lc.view === "flux") {
      out.push(trace(g, g.good, "flux", "flux_err", "good"));
      if (lc.flagged) out.push(trace(g, g.flagged, "flux", "flux_err", "flagged"));
    } else {
      out.push(trace(g, g.detGood, "mag", "mag_err", "good"));
      if (lc.flagged) out.push(trace(g, g.detFlagged, "mag", "mag_err", "flagged"));
      out.push(trace(g, g.limits, "limit", null, "limit"));
    }
  }
  return out.filter((t) => t.x.length);
}

function layout() {
  const flux = lc.view === "flux";
  return {
    margin: { t: 10, r: 10, b: 50, l: 70 },
    xaxis: { type: "date", title: { text: "UTC" } },
    yaxis: {
      title: { text: flux ? `flux [µJy]${compressed() ? " (compressed: linear within ±" + lc.data.linear_within.toPrecision(2) + ")" : ""}` : "AB magnitude" },
      autorange: flux ? true : "reversed",
      zeroline: flux,
      ...(compressed() ? fluxTicks() : {}),
    },
    legend: { orientation: "h", y: -0.18 },
    hovermode: "closest",
    uirevision: `${lc.view}-${compressed()}`, // keeps zoom while toggling; a new view starts from its own range
  };
}

function draw() {
  const started = performance.now();
  document.getElementById("compress-box").hidden = lc.view !== "flux" || lc.data.linear_within == null;
  Plotly.react("plot", traces(), layout(), { responsive: true, displaylogo: false, scrollZoom: true });
  fillTable();
  return performance.now() - started;
}

function plotlyMs(value) {
  // Plotly reports a date axis range as UTC text without a zone ("2023-05-19 06:00:00.5").
  if (typeof value === "number") return value;
  const [day, time = "00:00:00"] = value.split(" ");
  return Date.parse(`${day}T${time}Z`);
}

function inView(i) {
  const p = lc.data.points;
  const g = lc.data.series[p.series[i]];
  if (lc.hidden.has(g.service) || (!lc.flagged && !p.good[i])) return false;
  return !lc.range || (p.ms[i] >= lc.range[0] && p.ms[i] <= lc.range[1]);
}

function fillTable() {
  const p = lc.data.points;
  const body = document.querySelector("#points tbody");
  const rows = [];
  for (let i = 0; i < lc.data.rows; i++) if (inView(i)) rows.push(i);
  const shown = rows.slice(0, TABLE_ROWS);
  const fragment = document.createDocumentFragment();
  const table = document.createElement("tbody");
  for (const i of shown) {
    const s = lc.data.series[p.series[i]];
    const row = table.insertRow();
    cell(row, mjdToIso(p.mjd[i]));
    cell(row, fixed(p.mjd[i], 5), "num");
    cell(row, s.service);
    const band = cell(row, s.filter);
    const swatch = document.createElement("span");
    swatch.className = "swatch";
    swatch.style.background = s.color;
    band.prepend(swatch);
    cell(row, fixed(p.flux[i], 2), "num");
    cell(row, fixed(p.flux_err[i], 2), "num");
    cell(row, p.detected[i] ? `${fixed(p.mag[i], 3)} ± ${fixed(p.mag_err[i], 3)}` : "", "num");
    cell(row, fixed(p.limit[i], 2), "num");
    cell(row, p.detected[i] ? "yes" : "no");
    cell(row, p.flags[i]);
    cell(row, p.exposure_id[i]);
  }
  fragment.append(...table.rows);
  body.replaceChildren(fragment);
  document.getElementById("message").textContent =
    `${lc.data.rows.toLocaleString()} points; ${rows.length.toLocaleString()} in view` +
    (rows.length > TABLE_ROWS ? `, the first ${TABLE_ROWS} listed (zoom in, or download them all)` : "");
}

function surveyToggles() {
  const box = document.getElementById("surveys");
  for (const service of [...new Set(lc.data.series.map((s) => s.service))]) {
    const label = document.createElement("label");
    const input = document.createElement("input");
    input.type = "checkbox";
    input.checked = true;
    input.id = `survey-${service}`;
    input.addEventListener("change", () => {
      input.checked ? lc.hidden.delete(service) : lc.hidden.add(service);
      draw();
    });
    label.append(input, ` ${service} `);
    box.append(label);
  }
}

async function main() {
  const name = new URLSearchParams(location.search).get("name");
  const query = `target=${encodeURIComponent(name)}`;
  document.getElementById("csv").href = `${ROOT}/api/download?${query}&format=csv`;
  document.getElementById("parquet").href = `${ROOT}/api/download?${query}&format=parquet`;
  try {
    lc.data = await readJson(window.fphotPoints); // asked for by the page before plotly.js loaded
  } catch (error) {
    const message = document.getElementById("message");
    message.textContent = error.message;
    message.className = "error";
    return;
  }
  lc.data.points.ms = lc.data.points.mjd.map(mjdToMs);
  lc.groups = group(lc.data);
  surveyToggles();
  const drawMs = draw();
  // Read by the browser tests and benchmarks/ui_render.py: from navigation start to drawn, and the draw alone.
  window.fphotRendered = { totalMs: performance.now(), drawMs, points: lc.data.rows };
  const plot = document.getElementById("plot");
  plot.on("plotly_relayout", (event) => {
    if (event["xaxis.autorange"]) lc.range = null;
    else if (event["xaxis.range[0]"] !== undefined) {
      lc.range = [plotlyMs(event["xaxis.range[0]"]), plotlyMs(event["xaxis.range[1]"])];
    } else return;
    fillTable();
  });
  document.querySelectorAll("input[name=view]").forEach((radio) =>
    radio.addEventListener("change", () => { lc.view = radio.value; lc.range = null; draw(); }));
  document.getElementById("flagged").addEventListener("change", (event) => { lc.flagged = event.target.checked; draw(); });
  document.getElementById("compress").addEventListener("change", (event) => { lc.compress = event.target.checked; draw(); });
}

main();
