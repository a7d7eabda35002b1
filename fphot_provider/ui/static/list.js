// The target list: one page of the sink's catalogue at a time (the server pages; nothing else is loaded).
"use strict";
const PAGE = 50;
const list = { offset: 0, total: 0 };

function alertText(alert) {
  if (!alert) return "";
  const delta = alert.delta_mag == null ? "" : `, ${alert.delta_mag > 0 ? "+" : ""}${alert.delta_mag.toFixed(2)} mag`;
  return `${alert.filter} ${alert.kind.replace("_", " ")} at ${mjdToIso(alert.mjd).slice(0, 10)} (${alert.sigma.toFixed(1)}σ${delta})`;
}

function showRow(body, item) {
  const row = body.insertRow();
  const link = document.createElement("a");
  link.href = `${ROOT}/target?name=${encodeURIComponent(item.target)}`;
  link.textContent = item.target;
  row.insertCell().appendChild(link);
  const points = Object.entries(item.points).map(([service, n]) => `${service} ${n.toLocaleString()}`);
  cell(row, points.join(" · "));
  cell(row, mjdToIso(item.last_mjd).slice(0, 10));
  cell(row, shortTime(item.updated_at));
  cell(row, alertText(item.last_alert), "alert");
}

async function load() {
  const search = document.getElementById("search").value;
  const sort = document.getElementById("sort").value;
  const query = new URLSearchParams({ offset: list.offset, limit: PAGE, search, sort });
  const message = document.getElementById("message");
  try {
    const page = await getJson(`/api/targets?${query}`);
    const body = document.querySelector("#targets tbody");
    body.replaceChildren();
    page.items.forEach((item) => showRow(body, item));
    list.total = page.total;
    const last = Math.min(page.offset + page.items.length, page.total);
    document.getElementById("range").textContent = page.total
      ? `${page.offset + 1}–${last} of ${page.total.toLocaleString()}`
      : "no targets";
    document.getElementById("sink").textContent = page.sink;
    document.getElementById("prev").disabled = page.offset === 0;
    document.getElementById("next").disabled = last >= page.total;
    message.textContent = "";
  } catch (error) {
    message.textContent = error.message;
    message.className = "error";
  }
}

const asked = new URLSearchParams(location.search); // a link may open the list in an order, or searched
if (asked.get("sort")) document.getElementById("sort").value = asked.get("sort");
if (asked.get("search")) document.getElementById("search").value = asked.get("search");

let typing;
document.getElementById("search").addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => { list.offset = 0; load(); }, 250);
});
document.getElementById("sort").addEventListener("change", () => { list.offset = 0; load(); });
document.getElementById("prev").addEventListener("click", () => { list.offset = Math.max(0, list.offset - PAGE); load(); });
document.getElementById("next").addEventListener("click", () => { list.offset += PAGE; load(); });
load();
