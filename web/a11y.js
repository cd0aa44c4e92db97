// The hall for screen readers and the keyboard: a document layer beside the canvas that mirrors
// the viewer with real HTML controls (src/a11y/ says what is on screen; src/viewer/a11y.rs
// sends it here as JSON whenever it changes).
//
// - cloudhallA11y(json): render the outline (site, scene, what the panorama shows, its hotspots
//   in reading order, the narration bar with its transcript, an open board with the memorial's form, the scene strip,
//   the site list), keeping focus on the control that had it.
// - cloudhallAnnounce(text): say it through the polite live region (scene changes, subtitles).
// - cloudhallA11yTake(): the actions the controls queued since the viewer last asked.
//
// The layer is out of sight until something in it has focus (Tab from the page, or a screen
// reader's own navigation), so sighted visitors see the panorama and keyboard visitors see
// where they are.

const layer = document.getElementById("a11y");
const live = document.getElementById("a11y-live");
let queue = [];
let last = null;
let siteQuery = "";

window.cloudhallA11yTake = () => {
  const q = queue;
  queue = [];
  return q;
};

const send = (action) => queue.push(JSON.stringify(action));

window.cloudhallAnnounce = (text) => {
  // A new node each time, so that the same words twice are still read.
  const p = document.createElement("p");
  p.textContent = text;
  live.replaceChildren(p);
};

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") e.addEventListener(k.slice(2), v);
    else if (k === "checked" || k === "selected") e[k] = true;
    else e.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) if (c !== null && c !== undefined) e.append(c);
  return e;
}

function list(label, items) {
  return el("nav", { "aria-label": label }, el("h3", {}, label), el("ul", {}, items.map((i) => el("li", {}, ...[i].flat()))));
}

function render(o) {
  const sceneChanged = !last || last.scene.id !== o.scene.id || last.site.id !== o.site.id;
  const had = layer.contains(document.activeElement) ? document.activeElement.dataset.key : null;
  document.documentElement.lang = o.lang === "zh" ? "zh-CN" : "en";
  document.body.dataset.map = o.map ? "open" : "closed";
  const w = o.words;
  const parts = [
    el("a", { href: "#a11y-narration", class: "a11y-skip", "data-key": "skip" }, w.skip),
    el("h1", {}, o.tour),
    el("h2", { id: "a11y-scene", tabindex: "-1", "data-key": "scene" }, `${o.site.name} · ${o.scene.name}`),
  ];
  if (o.description) parts.push(el("p", { id: "a11y-description" }, o.description));
  parts.push(list(w.hotspots, o.hotspots.map((h) => [
    el("button", {
      type: "button", "data-key": `hotspot-${h.id}`, "data-kind": h.kind, "aria-describedby": `a11y-where-${h.index}`,
      onclick: () => send({ do: "hotspot", index: h.index }),
    }, h.label),
    " ",
    el("span", { id: `a11y-where-${h.index}`, class: "a11y-where" }, h.description),
  ])));
  if (o.board) {
    const b = o.board;
    const board = el("section", { id: "a11y-board", role: "dialog", "aria-labelledby": "a11y-board-title" },
      el("h3", { id: "a11y-board-title", tabindex: "-1", "data-key": "board" }, b.title),
      el("p", {}, b.body));
    if (b.memorial) {
      board.append(el("div", { role: "group", "aria-label": b.title },
        ["flower", "candle", "bow"].map((kind) => el("button", {
          type: "button", "data-key": `offer-${kind}`, onclick: () => send({ do: "offer", kind }),
        }, w[kind]))));
      // The text stays until the server accepts it: a refused message is there to mend. The
      // answer (thanks, or why not) is said through the live region by the viewer, and shown here.
      const f = b.form || { name_max: 40, text_max: 300, status: "", answer: "", answers: 0 };
      const form = el("form", {
        "data-key": "message-form", "aria-busy": f.status === "sending" ? "true" : null,
        onsubmit: (e) => {
          e.preventDefault();
          const data = new FormData(form);
          if (!String(data.get("text") || "").trim()) return;
          send({ do: "message", name: data.get("name"), text: data.get("text") });
        },
      },
      el("label", {}, w.name, el("input", { name: "name", autocomplete: "nickname", maxlength: f.name_max, "data-key": "name" })),
      el("label", {}, w.message, el("textarea", { name: "text", maxlength: f.text_max, required: true, "data-key": "text" })),
      el("button", { type: "submit", "data-key": "send" }, w.send),
      f.answer ? el("p", { "data-key": "answer", "data-status": f.status }, f.answer) : null);
      board.append(form);
    }
    board.append(el("button", { type: "button", "data-key": "close", onclick: () => send({ do: "close" }) }, w.close));
    parts.push(board);
  }
  if (o.narration) {
    // The narration bar: play, ten seconds back or forward, speed, volume, subtitles, and the
    // transcript, whose sentences each play from where they start.
    const n = o.narration;
    const control = (key, label, what, attrs = {}) => el("button", {
      type: "button", "data-key": key, onclick: () => send({ do: "narration", what }), ...attrs,
    }, label);
    const pressed = (on) => (on ? "true" : "false");
    parts.push(el("section", { id: "a11y-narration", "aria-label": w.narration, tabindex: "-1" },
      el("h3", {}, `${w.narration} · ${n.duration}`),
      el("div", { class: "a11y-row" },
        control("narration", n.playing ? w.pause : w.play, "play", { "aria-pressed": pressed(n.playing) }),
        control("back", w.back, "back"),
        control("forward", w.forward, "forward"),
        control("speed", n.speed, "speed"),
        control("subtitles", n.subtitles, "subtitles")),
      el("div", { class: "a11y-row", role: "group", "aria-label": n.volume },
        control("softer", w.softer, "softer"),
        control("louder", w.louder, "louder"),
        control("mute", w.mute, "mute", { "aria-pressed": pressed(n.muted) }),
        el("span", { "data-key": "volume" }, n.volume)),
      control("transcript", w.transcript, "transcript", {
        "aria-expanded": pressed(!!n.transcript), "aria-controls": n.transcript ? "a11y-transcript" : null,
      }),
      n.transcript ? el("ol", { id: "a11y-transcript", "aria-label": w.transcript },
        n.transcript.map((line, i) => el("li", {}, el("button", {
          type: "button", "data-key": `line-${i}`, "data-at": line.at,
          onclick: () => send({ do: "narration", what: "seek", at: line.at }),
        }, `${line.time} ${line.text}`)))) : null));
  }
  if (o.live) {
    const l = o.live;
    const controls = l.teacher
      ? [el("button", { type: "button", "data-key": "gather", onclick: () => send({ do: "live", what: "gather" }) }, w.gather)]
      : [el("button", { type: "button", "data-key": "hand", "aria-pressed": l.hand ? "true" : "false",
          onclick: () => send({ do: "live", what: "hand" }) }, l.hand ? w.lower_hand : w.hand),
        l.following ? null : el("button", { type: "button", "data-key": "follow",
          onclick: () => send({ do: "live", what: "follow" }) }, w.follow)];
    parts.push(el("section", { id: "a11y-live-class", "aria-label": `${w.live} ${l.code}` },
      el("h3", {}, `${w.live} ${l.code}`), ...controls));
  }
  parts.push(list(w.scenes, o.scenes.map((s) => el("button", {
    type: "button", "aria-current": s.current ? "true" : null, "data-key": `scene-${s.id}`,
    onclick: () => send({ do: "scene", id: s.id }),
  }, s.name))));
  parts.push(el("button", { type: "button", "data-key": "vr", onclick: () => send({ do: "vr" }) }, w.vr));
  // The map's sites, with a search that narrows the list as the visitor types.
  const sites = list(w.sites, o.sites.map((s) => el("button", {
    type: "button", "aria-current": s.current ? "true" : null, "data-key": `site-${s.id}`, "data-name": s.name,
    onclick: () => send({ do: "site", id: s.id }),
  }, s.name)));
  // What was typed outlives a re-render (the narration starting, a subtitle setting changing).
  const search = el("input", { type: "search", "data-key": "search", "aria-label": w.search, placeholder: w.search });
  const narrow = () => {
    const q = search.value.trim().toLowerCase();
    for (const b of sites.querySelectorAll("button")) {
      b.parentElement.hidden = q !== "" && !b.dataset.name.toLowerCase().includes(q);
    }
  };
  search.value = siteQuery;
  narrow();
  search.addEventListener("input", () => {
    siteQuery = search.value;
    narrow();
  });
  sites.insertBefore(search, sites.querySelector("ul"));
  parts.push(sites);
  // Display settings: remembered by the viewer with the languages.
  const c = o.comfort;
  const percent = (name, key, value) => el("label", {}, name, " ", el("select", {
    "data-key": key, onchange: (e) => send({ do: "comfort", [key]: Number(e.target.value) }),
  }, [100, 125, 150, 175, 200].map((p) => el("option", { value: p, selected: p === value }, `${p} %`))));
  const flag = (name, key, value) => el("label", {}, el("input", {
    type: "checkbox", "data-key": key, checked: value, onchange: (e) => send({ do: "comfort", [key]: e.target.checked }),
  }), " ", name);
  parts.push(el("section", { id: "a11y-settings", "aria-label": w.settings },
    el("h3", {}, w.settings),
    flag(w.reduced_motion, "reduced_motion", c.reduced_motion),
    percent(w.ui_scale, "ui_scale", c.ui_scale),
    percent(w.subtitle_scale, "subtitle_scale", c.subtitle_scale),
    flag(w.high_contrast, "high_contrast", c.high_contrast)));
  parts.push(el("section", { id: "a11y-keys", "aria-label": w.keys },
    el("h3", { tabindex: "-1", "data-key": "keys" }, w.keys),
    el("dl", {}, o.keys.map(([k, what]) => [el("dt", {}, k), el("dd", {}, what)]))));
  const content = document.getElementById("a11y-content");
  // A half-written message outlives a re-render while its memorial stays open (the narration
  // ending as the visitor types must not take their words).
  const typed = last?.board && o.board && last.board.index === o.board.index
    ? [...content.querySelectorAll("#a11y-board [data-key]")].filter((f) => "value" in f && f.value).map((f) => [f.dataset.key, f.value])
    : [];
  content.replaceChildren(...parts);
  // A message the server has just accepted leaves the form; anything else typed stays.
  const accepted = o.board?.form?.status === "accepted" && o.board.form.answers !== last?.board?.form?.answers;
  for (const [key, value] of typed) {
    const f = content.querySelector(`#a11y-board [data-key="${key}"]`);
    if (f && "value" in f && !(accepted && key === "text")) f.value = value;
  }
  const boardOpened = o.board && !(last && last.board && last.board.index === o.board.index);
  last = o;
  // Focus: into an opened board; to the new scene's heading after a move made from the layer;
  // otherwise back on the control that had it.
  const focus = (key) => {
    const e = content.querySelector(`[data-key="${key}"]`);
    e?.focus();
    // Typing goes on where it was: at the end of what is in the field.
    if (e?.matches("input[type=search], input:not([type]), textarea")) e.setSelectionRange(e.value.length, e.value.length);
  };
  if (had && boardOpened) focus("board");
  else if (had && sceneChanged) focus("scene");
  else if (had) focus(had);
}

window.cloudhallA11y = (json) => render(JSON.parse(json));

// The skip link and the "n" key lead to the narration control.
layer.addEventListener("click", (e) => {
  if (e.target.matches(".a11y-skip")) {
    e.preventDefault();
    document.querySelector('#a11y-narration button')?.focus();
  }
});

// Tab on the panorama enters the layer (Shift+Tab from its end): the viewer would otherwise keep
// the key, and a keyboard visitor could not leave the canvas. The listener runs before the
// canvas's own, in the capture phase.
const canvas = document.getElementById("cloudhall");
// In a frame (the studio's preview), Tab from the panorama, the page's last stop, goes on to the
// page around it, so that the frame is no trap.
const framed = window.self !== window.top;
window.addEventListener("keydown", (e) => {
  if (e.key !== "Tab" || document.activeElement !== canvas) return;
  e.stopImmediatePropagation();
  if (framed && !e.shiftKey) return;
  e.preventDefault();
  const controls = [...layer.querySelectorAll("a[href], button, input, textarea")];
  (e.shiftKey ? controls[controls.length - 1] : controls[0])?.focus();
}, true);

// `?` shows the keys (in the layer, which appears with focus), `n` skips to the narration, from
// anywhere but a text field.
window.addEventListener("keydown", (e) => {
  if (e.target.matches?.("input, textarea, select") || e.ctrlKey || e.metaKey || e.altKey) return;
  const to = e.key === "?" ? '[data-key="keys"]' : e.key === "n" || e.key === "N" ? '[data-key="narration"]' : null;
  const target = to && document.querySelector(`#a11y-content ${to}`);
  if (!target) return;
  e.preventDefault();
  e.stopImmediatePropagation();
  target.focus();
}, true);
