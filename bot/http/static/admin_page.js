// The admin status page: polls /admin/state and redraws the lists in place.
// Every user-supplied string (prompts, display names) goes in through textContent, never
// innerHTML, so a prompt like "<script>" is shown as text and never runs.
"use strict";

const POLL_MS = 2000;
let lastSuccess = null;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child);
  }
  return node;
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return "–";
  const s = Math.round(seconds);
  if (s < 60) return s + "s";
  if (s < 3600) return Math.floor(s / 60) + "m " + (s % 60) + "s";
  return Math.floor(s / 3600) + "h " + Math.floor((s % 3600) / 60) + "m";
}

// Image URLs come from our own storage, but only ever plain http(s) or same-origin paths are used.
function safeUrl(url) {
  return typeof url === "string" && /^(https?:\/\/|\/(?!\/))/i.test(url) ? url : null;
}

function owner(job) {
  return el("span", {}, el("span", { class: "platform", text: job.owner.platform }), job.owner.name);
}

function table(headers, rows) {
  const head = el("tr", {}, ...headers.map((h) => el("th", { text: h })));
  return el("table", {}, el("thead", {}, head), el("tbody", {}, ...rows));
}

function renderTotals(totals) {
  for (const node of document.querySelectorAll("[data-total]")) {
    const value = totals[node.dataset.total];
    node.textContent = node.dataset.total === "average_seconds"
      ? (value === null ? "–" : value + " s") : String(value);
  }
}

function renderRunning(running) {
  const box = document.getElementById("running");
  if (!running.length) return box.replaceChildren(el("p", { class: "empty", text: "Nothing is running." }));
  const rows = running.map((job) => {
    const share = job.step && job.steps ? Math.min(100, (100 * job.step) / job.steps) : 0;
    const fill = el("span");
    fill.style.width = share.toFixed(0) + "%"; // CSSOM, not a style attribute: the CSP allows no inline styles
    const bar = el("div", { class: "progress" }, fill);
    const label = job.step ? "step " + job.step + " of " + job.steps : "starting…";
    return el("tr", { "data-job": job.id },
      el("td", {}, owner(job), el("div", { class: "prompt", text: job.prompt })),
      el("td", { class: "nowrap" }, el("span", { class: "tag", text: job.account })),
      el("td", { class: "nowrap" }, el("span", { class: "step", text: label }), bar),
      el("td", { class: "num", text: duration(job.running_seconds) }));
  });
  box.replaceChildren(table(["Owner / prompt", "Lane", "Progress", "Running"], rows));
}

function renderLanes(lanes) {
  const box = document.getElementById("lanes");
  if (!lanes.length) return box.replaceChildren(el("p", { class: "empty", text: "No job is waiting." }));
  box.replaceChildren(...lanes.map((lane) => {
    const title = el("h3", {}, lane.account, el("span", { class: "tag", text: lane.depth + " waiting" }),
      lane.paused ? el("span", { class: "tag paused", text: "paused" }) : null,
      lane.draining ? el("span", { class: "tag draining", text: "worker on it" }) : null);
    const rows = lane.waiting.map((job) => el("tr", { "data-job": job.id },
      el("td", { class: "num position", text: "#" + job.position }),
      el("td", {}, owner(job), el("div", { class: "prompt", text: job.prompt })),
      el("td", { class: "num" }, el("span", { class: "prio", text: String(job.priority) })),
      el("td", { class: "num", text: duration(job.age_seconds) })));
    const more = lane.more ? el("p", { class: "more", text: "… and " + lane.more + " more" }) : null;
    return el("div", { class: "lane", "data-lane": lane.account }, title,
      table(["#", "Owner / prompt", "Priority", "Waiting"], rows), more);
  }));
}

function renderAccounts(accounts) {
  const box = document.getElementById("accounts");
  if (!accounts.length) return box.replaceChildren(el("p", { class: "empty", text: "No account status yet." }));
  box.replaceChildren(...accounts.map((a) => {
    const fact = (label, value) => el("span", {}, label + " ", el("b", { text: value }));
    const facts = el("div", { class: "facts" },
      fact("tier", a.tier ?? "–"),
      fact("Anlas", a.anlas === null || a.anlas === undefined ? "–" : String(a.anlas)),
      a.v5_allowance ? fact("V5 allowance", a.v5_allowance) : null,
      fact("token days left", a.days_left === null || a.days_left === undefined ? "no expiry" : String(a.days_left)),
      a.login ? fact("login", a.login) : null);
    return el("div", { class: "account", "data-account": a.name },
      el("div", {}, el("span", { class: "name", text: a.name }), " ",
        el("span", { class: "tag", text: a.kind || "?" })),
      facts, a.error ? el("div", { class: "error", text: a.error }) : null);
  }));
}

// One line per chat bot process (tasks/chat_presence.py): what it serves, and whether it still beats.
// Discord processes list their shards by state, so a shard stuck connecting stands out.
function renderChats(chats) {
  const box = document.getElementById("chats");
  if (!chats || !chats.length) {
    return box.replaceChildren(el("p", { class: "empty", text: "No chat bot has reported yet." }));
  }
  box.replaceChildren(...chats.map((c) => {
    const facts = [];
    if (c.platform === "discord") {
      facts.push("shards " + (c.shards ?? 0) + " of " + (c.shard_count ?? "?"));
      for (const [state, ids] of Object.entries(c.shard_states || {})) facts.push(state + ": " + ids);
      if (c.guilds !== undefined) facts.push(c.guilds + " servers");
    } else if (c.mode) {
      facts.push(c.mode + (c.webhook_port ? " on port " + c.webhook_port : ""));
    }
    facts.push(c.alive ? "up " + duration(c.up_seconds) : "silent for " + duration(c.beat_seconds_ago));
    return el("div", { class: "chat" + (c.alive ? "" : " silent"), "data-chat": c.platform + ":" + c.host + ":" + c.pid },
      el("div", {}, el("span", { class: "platform", text: c.platform }),
        el("span", { class: "name", text: c.host + " · pid " + c.pid + (c.instance ? " · " + c.instance : "") })),
      el("div", { class: "facts", text: facts.join(" · ") }));
  }));
}

// Thumbnails are keyed by job id and reused, so an image is fetched once, not every poll.
function renderRecent(recent) {
  const box = document.getElementById("recent");
  if (!recent.length) return box.replaceChildren(el("p", { class: "empty", text: "No finished job yet." }));
  const existing = new Map([...box.querySelectorAll("figure[data-job]")].map((f) => [f.dataset.job, f]));
  box.replaceChildren(...recent.map((job) => {
    let figure = existing.get(job.id);
    if (!figure) {
      const url = safeUrl(job.images[0] && job.images[0].url);
      const img = el("img", { alt: job.prompt, loading: "lazy" });
      if (url) img.src = url;
      const link = el("a", { target: "_blank", rel: "noopener noreferrer" }, img);
      if (url) link.href = url;
      figure = el("figure", { class: "thumb", "data-job": job.id }, link,
        el("figcaption", {},
          el("div", { class: "who" }, el("span", { class: "platform", text: job.owner.platform }), job.owner.name,
            el("span", { class: "ago" })),
          el("div", { class: "what", text: job.prompt })));
      figure.title = job.prompt;
    }
    figure.querySelector(".ago").textContent = duration(job.finished_seconds_ago) + " ago";
    return figure;
  }));
}

function showError(message) {
  const banner = document.getElementById("error");
  banner.textContent = message;
  banner.hidden = false;
}

async function poll() {
  try {
    const response = await fetch("/admin/state", { credentials: "same-origin", cache: "no-store" });
    if (response.status === 401 || response.status === 403) {
      showError("Your login is no longer valid: reload the page to log in again.");
      return;
    }
    if (!response.ok) throw new Error("the server answered " + response.status);
    const state = await response.json();
    renderTotals(state.totals);
    renderRunning(state.running);
    renderLanes(state.lanes);
    renderAccounts(state.accounts);
    renderChats(state.chat_processes);
    renderRecent(state.recent);
    lastSuccess = Date.now();
    tick();
    document.getElementById("error").hidden = true;
  } catch (err) {
    showError("Could not refresh (" + err.message + "); showing the last known state, retrying…");
  }
  setTimeout(poll, POLL_MS);
}

function tick() {
  const node = document.getElementById("updated");
  if (lastSuccess === null) return;
  const age = (Date.now() - lastSuccess) / 1000;
  node.textContent = age < 1 ? "updated just now" : "updated " + duration(age) + " ago";
}

document.addEventListener("DOMContentLoaded", () => {
  poll();
  setInterval(tick, 1000);
});
