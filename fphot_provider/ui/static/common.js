// Shared by the Light curves pages: the app's URL prefix, JSON reads, times, table cells.
"use strict";
const ROOT = document.body.dataset.root;
const MJD_UNIX_EPOCH = 40587; // MJD of 1970-01-01

async function getJson(path) {
  return readJson(fetch(ROOT + path, { credentials: "same-origin" }));
}

async function readJson(request) {
  // The body of a fetch, or an Error with the server's own message (e.g. "target 'x': no rows").
  const answer = await request;
  const body = await answer.json().catch(() => ({}));
  if (!answer.ok) throw new Error(body.detail || `${answer.status} ${answer.statusText}`);
  return body;
}

function mjdToMs(mjd) {
  return (mjd - MJD_UNIX_EPOCH) * 86400000;
}

function mjdToIso(mjd) {
  return mjd == null ? "" : new Date(mjdToMs(mjd)).toISOString().slice(0, 19).replace("T", " ");
}

function shortTime(iso) {
  return iso ? iso.slice(0, 19).replace("T", " ") : "";
}

function cell(row, text, className) {
  const td = row.insertCell();
  td.textContent = text == null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

function fixed(value, digits) {
  return value == null ? "" : Number(value).toFixed(digits);
}
