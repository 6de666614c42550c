// lifecheck explore: the page asks the server for the view after every move and draws it.
// Every text from the model is set as text, never parsed as HTML.
"use strict";

let view = null;
let drawn = 0;  // moves made: the diagram's address changes with each, so it is drawn again

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(typeof child === "string" ? document.createTextNode(child) : child);
  }
  return node;
}

function show(id, text) {
  const node = document.getElementById(id);
  node.textContent = text || "";
  node.hidden = !text;
}

async function call(method, route, body) {
  let response;
  try {
    response = await fetch(route, {
      method, headers: body ? {"Content-Type": "application/json"} : {},
      body: body ? JSON.stringify(body) : undefined,
    });
  } catch (err) {
    show("error", "The lifecheck explore server does not answer (was it stopped?)");
    return;
  }
  const data = await response.json();
  if (!response.ok) {
    show("error", data.error || `the server answered ${response.status}`);
    return;
  }
  show("error", "");
  render(data);
}

const move = (route, body) => call("POST", route, body || {});
// A jump lands far from where its button is: show the top, where the verdict is.
const jump = (property) => move("/api/counterexample", {property}).then(() => window.scrollTo(0, 0));

function render(data) {
  view = data;
  drawn += 1;
  document.title = `lifecheck explore: ${data.spec}`;
  document.getElementById("spec").textContent = data.spec;
  document.getElementById("model").textContent = data.model;
  document.getElementById("faults").textContent = data.faults || "none";
  document.getElementById("key-input").value = data.key;
  document.getElementById("depth").textContent = String(data.path.length);
  document.getElementById("back").disabled = data.path.length === 0;
  const broken = data.problems.map((p) => p.message);
  show("verdict", broken.length ? `Violated: ${broken.join("; ")}` : "");
  show("note", data.note);
  renderBudgets(data.budgets);
  renderPath(data);
  renderState(data);
  renderEnabled(data.enabled, data);
  renderProperties(data.properties, data.counterexamples);
  document.getElementById("diagram").src = `/api/diagram.svg?key=${encodeURIComponent(data.key)}&n=${drawn}`;
}

function renderBudgets(budgets) {
  const box = document.getElementById("budgets");
  box.replaceChildren(...budgets.map((b) => el("span", {
    class: "budget" + (b.left ? "" : " spent"),
    title: `${b.spent} of ${b.max} spent on this path`,
  }, `${b.fault}: ${b.left} of ${b.max} left`)));
}

function keyPrefix(n) {
  return view.key.split(".").slice(0, n + 1).join(".");
}

function renderPath(data) {
  const list = document.getElementById("path");
  const items = [el("li", {class: "initial"}, `initial state #${data.key.split(".")[0]}`,
                    problemsLine(data.initial_problems))];
  for (const step of data.path) {
    const classes = [];
    if (data.loop_start !== null && step.index === data.loop_start + 1) classes.push("loop-start");
    const here = step.index === data.path.length;
    items.push(el("li", {class: classes.join(" ")},
      el("span", {class: "who"}, step.who), " ", step.fault && step.fault === step.label.split("(")[0]
        ? `!! ${step.label}` : step.label,
      here ? null : el("a", {href: "#", onclick: (e) => { e.preventDefault(); move("/api/replay", {key: keyPrefix(step.index)}); }}, "back to here"),
      step.failure ? el("div", {class: "broke"}, `failed: ${step.failure}`) : null,
      changesList(step.changes),
      problemsLine(step.problems)));
  }
  if (data.loop_start !== null) {
    items.push(el("li", {class: "after"}, data.stutter
      ? "then no fair step is enabled: it stays here forever"
      : `then steps ${data.loop_start + 1}..${data.path.length} repeat forever`));
  }
  list.replaceChildren(...items);
}

function changesList(changes) {
  if (!changes.length) return null;
  return el("ul", {class: "changes mono"}, ...changes.map((c) => el("li", {}, c)));
}

function problemsLine(problems) {
  if (!problems.length) return null;
  return el("div", {class: "broke"}, `breaks ${problems.map((p) => p.property).join(", ")}`);
}

function renderState(data) {
  show("failure", data.failure ? `The last step failed: ${data.failure}` : "");
  const box = document.getElementById("holders");
  if (!data.state) { box.replaceChildren(); return; }
  box.replaceChildren(...data.state.filter((h) => h.fields.length).map((holder) => el("div", {class: "holder"},
    el("h3", {}, holder.name, el("span", {class: "kind"}, holder.kind)),
    el("table", {}, el("tbody", {}, ...holder.fields.map((f) => el("tr", {class: f.changed ? "changed" : "", title: f.path},
      el("td", {class: "name"}, f.name, f.durability ? el("span", {class: `dur ${f.durability}`}, f.durability) : null),
      el("td", {class: "value"}, f.text))))))));
  if (data.outside) box.prepend(el("p", {class: "empty"}, "This state is outside the spec's constraints: the checker checks it but explores no further."));
}

function renderEnabled(steps, data) {
  const list = document.getElementById("enabled");
  if (!steps.length) {
    list.replaceChildren(el("li", {class: "empty"},
      data.failure ? "No step: the last step failed." : "No step is enabled in this state."));
    return;
  }
  const badge = (s) => (s.fault ? (s.injected ? "fault" : s.fault) : "");
  list.replaceChildren(...steps.map((s) => el("li", {class: "step" + (s.fault ? " fault" : "")},
    el("button", {type: "button", "data-step": String(s.index), onclick: () => move("/api/step", {index: s.index}),
                  "aria-label": `${s.who} ${s.label}` + (s.fault ? ` (${badge(s)})` : "")},
      el("b", {}, s.who), " ", s.label, s.fault ? el("span", {class: "badge"}, badge(s)) : null),
    s.fails ? el("div", {class: "fails"}, `fails: ${s.fails}`) : null,
    s.breaks.length ? el("div", {class: "breaks"}, `→ breaks ${s.breaks.join(", ")}`) : null,
    changesList(s.changes) || (s.fails ? null : el("div", {class: "hint"}, "changes no field")))));
}

function renderProperties(props, found) {
  const rows = props.map((p) => el("tr", {class: p.status === "violated" ? "violated" : ""},
    el("td", {}, el("b", {}, p.name), p.doc ? el("div", {class: "doc"}, p.doc) : null),
    el("td", {}, p.kind),
    el("td", {class: "status"}, p.status),
    el("td", {}, el("button", {type: "button", onclick: () => jump(p.name)},
      "Counterexample"))));
  for (const name of found || []) {
    if (props.some((p) => p.name === name)) continue;
    rows.push(el("tr", {}, el("td", {}, el("b", {}, name)), el("td", {}, "found by the checker"), el("td", {}, ""),
      el("td", {}, el("button", {type: "button", onclick: () => jump(name)},
        "Counterexample"))));
  }
  document.getElementById("properties").replaceChildren(...rows);
}

document.getElementById("back").addEventListener("click", () => move("/api/back"));
document.getElementById("reset").addEventListener("click", () => move("/api/reset", {init: 0}));
document.getElementById("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  move("/api/replay", {key: document.getElementById("key-input").value});
});
call("GET", "/api/view");
