// SafeShift sandbox page: plain JS, no build step. Every value from the workspace is put in the page with
// textContent or as an attribute, never as HTML, so nothing anyone types (a hazard description) can run here.
"use strict";

const S = {me: localStorage.getItem("sandbox.me") || "", state: null, version: -1,
           view: {kind: "channel", id: localStorage.getItem("sandbox.view") || ""}, thread: null, modalKey: null,
           homeOpened: {}, files: {},
           msgState: {},     // "channel:ts" -> {block_id: {action_id: value}}: a message's ticks and picks, as Slack keeps them
           localErrors: {}}; // block_id -> "Please complete this required field." until the modal changes or is sent again
const $ = (id) => document.getElementById(id);
// the page's own words in the run's --lang (sandbox/labels.py); the English text is the fallback
const L = (key, fallback) => (S.state && S.state.labels && S.state.labels[key]) || fallback;
const REACTIONS = ["white_check_mark", "eyes", "+1", "heart", "raised_hands"];
const EMOJI = {warning: "⚠️", alarm_clock: "⏰", grey_question: "❔", white_check_mark: "✅", heavy_check_mark: "✔️",
  rotating_light: "🚨", fire: "🔥", bell: "🔔", red_circle: "🔴", large_orange_circle: "🟠", large_yellow_circle: "🟡",
  large_green_circle: "🟢", memo: "📝", calendar: "📅", clipboard: "📋", link: "🔗", camera: "📷", x: "❌",
  exclamation: "❗", hourglass: "⌛", hourglass_flowing_sand: "⏳", bar_chart: "📊", busts_in_silhouette: "👥",
  house: "🏠", mag: "🔍", eyes: "👀", "+1": "👍", thumbsup: "👍", heart: "❤️", raised_hands: "🙌", pray: "🙏", point_right: "👉", construction: "🚧", arrow_up: "⬆️", shield: "🛡️", zap: "⚡", tada: "🎉"};

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

// This run's token, from the page's own HTML: another web site can neither read it nor send it.
const TOKEN = document.querySelector('meta[name="sandbox-token"]').content;

async function post(path, body) {
  const r = await fetch(path, {method: "POST", headers: {"Content-Type": "application/json", "X-Sandbox-Token": TOKEN},
                               body: JSON.stringify(body)});
  if (r.status === 403 && !sessionStorage.getItem("sandbox.reloaded")) {
    // a tab from before a restart holds the last run's token: load the page (and this run's token) again, once
    sessionStorage.setItem("sandbox.reloaded", "1");
    location.reload();
    return new Promise(() => {}); // nothing more from this page
  }
  return r.json();
}

function act(body) { return post("/sandbox/act", Object.assign({as: S.me}, body)); }

// ------------------------------------------------------------------ names and text
function personName(id) {
  if (!S.state) return id;
  if (id === S.state.bot.id) return S.state.bot.name;
  if (id === "USLACKBOT") return "Slackbot";
  const p = S.state.people.find((x) => x.id === id);
  return p ? p.name : id;
}
function channelName(id) {
  const c = S.state && S.state.channels.find((x) => x.id === id);
  return c ? c.name : id;
}
function unescapeSlack(s) { return s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&"); }
function emojify(s) { return s.replace(/:([a-z0-9_+\-]+):/g, (m, name) => EMOJI[name] || m); }

function plain(obj) { // a plain_text object (or a string) as a text node
  if (!obj) return document.createTextNode("");
  const t = typeof obj === "string" ? obj : (obj.text || "");
  return document.createTextNode(obj.emoji === false ? t : emojify(t));
}

function textObject(obj) {
  if (!obj) return el("span");
  if (obj.type === "mrkdwn") return mrkdwn(obj.text || "");
  const span = el("span", "mrkdwn");
  span.appendChild(plain(obj));
  return span;
}

// Slack's mrkdwn, parsed into nodes: *bold* _italic_ ~strike~ `code` ```pre``` <links|x> <@U…> <#C…> :emoji:
function mrkdwn(text) {
  const out = el("span", "mrkdwn");
  const parts = String(text).split("```");
  parts.forEach((part, i) => {
    if (i % 2 === 1) { out.appendChild(el("pre", null, unescapeSlack(part))); return; }
    inline(part, out);
  });
  return out;
}

const INLINE = /(<[^<>\n]+>)|(`[^`\n]+`)|((?<![\w*])\*(?!\s)[^*\n]+?\*(?![\w*]))|((?<![\w_])_(?!\s)[^_\n]+?_(?![\w_]))|((?<![\w~])~(?!\s)[^~\n]+?~(?![\w~]))/g;

function inline(text, parent) {
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) parent.appendChild(document.createTextNode(emojify(unescapeSlack(text.slice(last, m.index)))));
    const tok = m[0];
    if (m[1]) parent.appendChild(angle(tok.slice(1, -1)));
    else if (m[2]) parent.appendChild(el("code", null, unescapeSlack(tok.slice(1, -1))));
    else {
      const tag = m[3] ? "b" : m[4] ? "i" : "s";
      const node = el(tag);
      inline(tok.slice(1, -1), node);
      parent.appendChild(node);
    }
    last = m.index + tok.length;
  }
  if (last < text.length) parent.appendChild(document.createTextNode(emojify(unescapeSlack(text.slice(last)))));
}

function angle(inner) {
  const [target, label] = [inner.split("|")[0], inner.split("|").slice(1).join("|")];
  if (target.startsWith("@")) return el("span", "mention", "@" + personName(target.slice(1)));
  if (target.startsWith("#")) return el("span", "mention", "#" + (label || channelName(target.slice(1))));
  if (target.startsWith("!date")) return el("span", null, unescapeSlack(label || target));
  if (target.startsWith("!")) return el("span", "mention", "@" + (label || target.slice(1).split("^")[0]));
  const url = unescapeSlack(target);
  if (/^(https?:|mailto:)/i.test(url)) {
    const a = el("a", null, unescapeSlack(label || url));
    a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
    return a;
  }
  return el("span", null, unescapeSlack(label || target));
}

// ------------------------------------------------------------------ Block Kit
function fileUrl(slackFile) {
  if (!slackFile) return "";
  if (slackFile.url) return slackFile.url;
  const f = S.state.files[slackFile.id];
  return f ? f.url : "";
}

function image(src, alt, cls) {
  const img = el("img", cls);
  if (/^(https?:|\/files\/)/.test(src)) img.src = src;
  img.alt = alt || "";
  return img;
}

function renderBlocks(blocks, ctx) {
  const box = el("div", "blocks");
  (blocks || []).forEach((b) => box.appendChild(renderBlock(b, ctx)));
  return box;
}

function renderBlock(b, ctx) {
  const d = el("div", "blk blk-" + b.type);
  if (b.block_id) d.dataset.blockId = b.block_id;
  switch (b.type) {
    case "header": d.appendChild(plain(b.text)); break;
    case "divider": return el("hr", "blk-divider");
    case "section": {
      const body = el("div", "body");
      if (b.text) body.appendChild(textObject(b.text));
      if (b.fields) {
        const g = el("div", "fields");
        b.fields.forEach((f) => g.appendChild(textObject(f)));
        body.appendChild(g);
      }
      d.appendChild(body);
      if (b.accessory) d.appendChild(renderElement(b.accessory, b, ctx));
      break;
    }
    case "context":
      (b.elements || []).forEach((e) => d.appendChild(e.type === "image" ? image(e.image_url || fileUrl(e.slack_file), e.alt_text) : textObject(e)));
      break;
    case "image": {
      if (b.title) d.appendChild(el("div", "hint", b.title.text));
      const src = b.image_url || fileUrl(b.slack_file);
      d.appendChild(src ? image(src, b.alt_text) : el("span", "unsupported", "[image " + JSON.stringify(b.slack_file || {}) + " not found]"));
      break;
    }
    case "actions": (b.elements || []).forEach((e) => d.appendChild(renderElement(e, b, ctx))); break;
    case "input": return renderInput(b, ctx);
    case "rich_text": (b.elements || []).forEach((sec) => {
      const p = el("div", "mrkdwn");
      (sec.elements || []).forEach((leaf) => p.appendChild(leaf.type === "user" ? el("span", "mention", "@" + personName(leaf.user_id))
        : leaf.type === "link" ? angle(leaf.url + (leaf.text ? "|" + leaf.text : "")) : el("span", null, leaf.text || (leaf.name ? ":" + leaf.name + ":" : ""))));
      d.appendChild(p);
    }); break;
    case "markdown": d.appendChild(el("div", "mrkdwn", b.text)); break;
    default: d.appendChild(el("span", "unsupported", "[the sandbox does not draw a " + b.type + " block]"));
  }
  return d;
}

function optionText(o) { return o && o.text ? (o.text.text || "") : ""; }

// A message's input elements (checkboxes, radio buttons, selects, pickers) keep their values in the page, as the
// Slack client does, and every action from that message carries them (`state.values`): pressing "Problem
// found" after ticking items sends the ticks. Keyed by channel and ts, so a redraw keeps them.
function messageKey(ctx) { return ctx.where && ctx.where.ts ? ctx.where.channel + ":" + ctx.where.ts : null; }
function messageState(ctx) { const k = messageKey(ctx); return k ? (S.msgState[k] || {}) : {}; }
function remember(ctx, block, e, value) {
  const k = messageKey(ctx);
  if (!k || !block.block_id || !e.action_id) return;
  const st = S.msgState[k] = S.msgState[k] || {};
  st[block.block_id] = Object.assign(st[block.block_id] || {}, {[e.action_id]: Object.assign({type: e.type}, value)});
}
function remembered(ctx, block, e) {
  const st = messageState(ctx)[block.block_id];
  return st ? st[e.action_id] : undefined;
}

// An interactive element in a message, the Home tab or a modal's section/actions block.
function renderElement(e, block, ctx) {
  const fire = (payload) => {
    const action = Object.assign({action_id: e.action_id, block_id: block.block_id, type: e.type}, payload);
    if (e.confirm && !window.confirm(optionText({text: e.confirm.text}) || L("sure", "Are you sure?"))) return;
    act({do: "action", where: ctx.where, action, state: ctx.form ? modalState() : messageState(ctx)}).then(refresh);
  };
  if (e.type === "button") {
    const btn = el("button", e.style || "", e.text ? e.text.text : "");
    btn.type = "button";
    btn.dataset.actionId = e.action_id || "";
    btn.addEventListener("click", () => {
      if (e.url && /^https?:/.test(e.url)) window.open(e.url, "_blank", "noopener");
      fire({value: e.value, text: e.text});
    });
    return btn;
  }
  if (e.type === "image") return image(e.image_url || fileUrl(e.slack_file), e.alt_text);
  const choices = selectChoices(e);
  if (choices) {
    const sel = el("select");
    sel.dataset.actionId = e.action_id || "";
    sel.appendChild(el("option", null, e.type === "overflow" ? "⋯" : (e.placeholder ? e.placeholder.text : L("select", "Select…"))));
    choices.forEach((c, i) => { const o = el("option", null, c.label); o.value = String(i); sel.appendChild(o); });
    const kept = remembered(ctx, block, e);
    if (kept && e.type !== "overflow") choices.forEach((c, i) => {
      const picked = kept.selected_option || (kept.selected_options || [])[0];
      const id = kept.selected_user || kept.selected_channel || kept.selected_conversation;
      if ((picked && c.option && c.option.value === picked.value) || (id && c.value === id)) sel.value = String(i);
    });
    sel.addEventListener("change", () => {
      if (sel.value === "") return;
      if (e.type !== "overflow") remember(ctx, block, e, choices[+sel.value].payload);
      fire(choices[+sel.value].payload);
    });
    return sel;
  }
  if (e.type === "datepicker" || e.type === "timepicker") {
    const inp = el("input");
    inp.type = e.type === "datepicker" ? "date" : "time";
    const kept = remembered(ctx, block, e);
    if (kept) inp.value = kept.selected_date || kept.selected_time || "";
    inp.addEventListener("change", () => {
      const value = e.type === "datepicker" ? {selected_date: inp.value} : {selected_time: inp.value};
      remember(ctx, block, e, value);
      fire(value);
    });
    return inp;
  }
  if (e.type === "radio_buttons" || e.type === "checkboxes") {
    const wrap = el("div");
    const kept = remembered(ctx, block, e);
    const initial = kept ? (e.type === "radio_buttons" ? [kept.selected_option] : kept.selected_options)
      : (e.type === "radio_buttons" ? [e.initial_option] : (e.initial_options || []));
    const boxes = (e.options || []).map((o) => {
      const lab = el("label", "choice");
      const inp = el("input");
      inp.type = e.type === "radio_buttons" ? "radio" : "checkbox";
      inp.name = "m-" + (messageKey(ctx) || "") + "-" + (block.block_id || "") + "-" + (e.action_id || "");
      inp.value = o.value || "";
      inp.checked = (initial || []).some((x) => x && x.value === o.value);
      lab.append(inp, " ", optionText(o));
      wrap.appendChild(lab);
      return [inp, o];
    });
    boxes.forEach(([inp, o]) => inp.addEventListener("change", () => {
      const value = e.type === "radio_buttons" ? {selected_option: o}
        : {selected_options: boxes.filter(([b]) => b.checked).map(([, x]) => x)}; // Slack sends all ticked, not the one
      remember(ctx, block, e, value);
      fire(value);
    }));
    return wrap;
  }
  return el("span", "unsupported", "[the sandbox does not draw a " + e.type + " element]");
}

function selectChoices(e) {
  const t = e.type;
  if (t === "static_select" || t === "overflow" || t === "multi_static_select") {
    const opts = (e.options || []).concat(...(e.option_groups || []).map((g) => g.options || []));
    return opts.map((o) => ({label: optionText(o), payload: t === "multi_static_select" ? {selected_options: [o]} : {selected_option: o}, option: o}));
  }
  if (t === "users_select" || t === "multi_users_select")
    return S.state.people.map((p) => ({label: p.name, payload: {selected_user: p.id}, value: p.id}));
  if (t === "conversations_select" || t === "channels_select")
    return S.state.channels.filter((c) => c.kind === "channel").map((c) => ({label: "#" + c.name,
      payload: t === "channels_select" ? {selected_channel: c.id} : {selected_conversation: c.id}, value: c.id}));
  return null;
}

// ------------------------------------------------------------------ modal inputs
const inputReaders = {}; // block_id -> () => [action_id, state value]

function renderInput(b, ctx) {
  const d = el("div", "blk blk-input");
  d.dataset.blockId = b.block_id || "";
  const e = b.element || {};
  const label = el("label", null, b.label ? b.label.text : "");
  if (b.optional) label.appendChild(el("span", "optional", " (optional)"));
  d.appendChild(label);
  let read;
  const t = e.type;
  if (["plain_text_input", "number_input", "email_text_input", "url_text_input"].includes(t)) {
    const inp = el(t === "plain_text_input" && e.multiline ? "textarea" : "input");
    if (inp.tagName === "INPUT") inp.type = {number_input: "number", email_text_input: "email", url_text_input: "url"}[t] || "text";
    if (e.placeholder) inp.placeholder = e.placeholder.text;
    if (e.max_length) inp.maxLength = e.max_length;
    if (e.initial_value !== undefined) inp.value = e.initial_value;
    read = () => ({type: t, value: inp.value === "" ? null : inp.value});
    d.appendChild(inp);
  } else if (t === "radio_buttons" || t === "checkboxes") {
    const name = "r-" + b.block_id;
    const boxes = (e.options || []).map((o) => {
      const lab = el("label", "choice");
      const inp = el("input");
      inp.type = t === "radio_buttons" ? "radio" : "checkbox";
      inp.name = name; inp.value = o.value || "";
      const initial = t === "radio_buttons" ? [e.initial_option] : (e.initial_options || []);
      inp.checked = initial.some((x) => x && x.value === o.value);
      lab.append(inp, " ", optionText(o));
      if (o.description) lab.appendChild(el("span", "desc", o.description.text));
      d.appendChild(lab);
      return [inp, o];
    });
    read = () => {
      const on = boxes.filter(([inp]) => inp.checked).map(([, o]) => o);
      return t === "radio_buttons" ? {type: t, selected_option: on[0] || null} : {type: t, selected_options: on};
    };
  } else if (selectChoices(e)) {
    const choices = selectChoices(e);
    const multi = t.startsWith("multi_");
    const sel = el("select");
    sel.multiple = multi;
    if (!multi) sel.appendChild(el("option", null, e.placeholder ? e.placeholder.text : L("select", "Select…"))).value = "";
    choices.forEach((c, i) => {
      const o = el("option", null, c.label);
      o.value = String(i);
      if ((e.initial_option && c.option && c.option.value === e.initial_option.value) || (e.initial_user && c.value === e.initial_user))
        o.selected = true;
      sel.appendChild(o);
    });
    read = () => {
      const picked = Array.from(sel.selectedOptions).filter((o) => o.value !== "").map((o) => choices[+o.value]);
      if (multi) return {type: t, selected_options: picked.map((c) => c.option)};
      return Object.assign({type: t}, picked.length ? picked[0].payload : (t === "users_select" ? {selected_user: null} : {selected_option: null}));
    };
    d.appendChild(sel);
  } else if (t === "datepicker" || t === "timepicker" || t === "datetimepicker") {
    const inp = el("input");
    inp.type = {datepicker: "date", timepicker: "time", datetimepicker: "datetime-local"}[t];
    if (e.initial_date) inp.value = e.initial_date;
    if (e.initial_time) inp.value = e.initial_time;
    read = () => t === "datepicker" ? {type: t, selected_date: inp.value || null}
      : t === "timepicker" ? {type: t, selected_time: inp.value || null}
      : {type: t, selected_date_time: inp.value ? Math.floor(new Date(inp.value).getTime() / 1000) : null};
    d.appendChild(inp);
  } else if (t === "file_input") {
    const inp = el("input");
    inp.type = "file";
    inp.multiple = (e.max_files || 10) > 1;
    if (e.filetypes) inp.accept = e.filetypes.map((x) => "." + x).join(",");
    const thumbs = el("div", "thumbs");
    let files = [];
    inp.addEventListener("change", async () => {
      files = [];
      thumbs.textContent = "";
      for (const f of Array.from(inp.files).slice(0, e.max_files || 10)) {
        const r = await fetch("/sandbox/upload?as=" + encodeURIComponent(S.me) + "&name=" + encodeURIComponent(f.name),
          {method: "POST", headers: {"Content-Type": f.type || "application/octet-stream", "X-Sandbox-Token": TOKEN}, body: f});
        const answer = await r.json();
        if (answer.ok) {
          files.push(answer.file);
          thumbs.appendChild(answer.file.mimetype.startsWith("image/") ? image(answer.file.url_private, answer.file.name) : el("span", null, answer.file.name));
        }
      }
      thumbs.dataset.count = String(files.length);
    });
    read = () => ({type: t, files});
    d.append(inp, thumbs);
  } else {
    d.appendChild(el("span", "unsupported", "[the sandbox does not draw a " + t + " input]"));
    read = () => ({type: t});
  }
  if (b.hint) d.appendChild(el("div", "hint", b.hint.text));
  const err = el("div", "error");
  err.dataset.errorFor = b.block_id || "";
  d.appendChild(err);
  inputReaders[b.block_id] = () => [e.action_id, read(), !b.optional];
  return d;
}

function modalState() {
  const values = {};
  for (const [blockId, reader] of Object.entries(inputReaders)) {
    const [actionId, value] = reader();
    values[blockId] = {[actionId]: value};
  }
  return values;
}

function isEmpty(v) {
  return v.value === null || v.selected_option === null || (v.selected_options && v.selected_options.length === 0)
    || v.selected_date === null || v.selected_time === null || (v.files && v.files.length === 0) || v.selected_user === null;
}

// ------------------------------------------------------------------ drawing the workspace
function messageNode(m, channel, inThread) {
  const d = el("div", "msg" + (m.ephemeral ? " ephemeral" : ""));
  d.dataset.ts = m.ts || "";
  const head = el("div");
  head.appendChild(el("span", "who", personName(m.user)));
  if (m.bot) head.appendChild(el("span", "app", "APP"));
  head.appendChild(el("span", "when", m.ts ? new Date(parseFloat(m.ts) * 1000).toLocaleTimeString() : ""));
  if (m.edited) head.appendChild(el("span", "edited", "(edited)"));
  if (m.ephemeral) head.appendChild(el("span", "only-you", "  Only visible to you"));
  d.appendChild(head);
  (m.problems || []).forEach((p) => d.appendChild(el("div", "warn", L("would_warn", "Slack would warn: ") + p)));
  const ctx = {where: {channel, ts: m.ts, ephemeral: m.ephemeral}, form: false};
  if (m.blocks && m.blocks.length) d.appendChild(renderBlocks(m.blocks, ctx));
  else d.appendChild(mrkdwn(m.text || ""));
  (m.files || []).forEach((f) => d.appendChild(f.mimetype && f.mimetype.startsWith("image/") ? image(f.url_private, f.name, "") : el("div", null, "📎 " + f.name)));
  if (!m.ephemeral) d.appendChild(reactionsNode(m, channel));
  if (!inThread && !m.ephemeral) {
    const replies = threadReplies(channel, m.ts);
    const b = el("button", "replies-link", replies.length ? replies.length + (replies.length === 1 ? L("one_reply", " reply") : L("replies", " replies")) : L("reply_in_thread", "Reply in thread"));
    b.type = "button";
    b.addEventListener("click", () => { S.thread = {channel, ts: m.ts}; draw(); });
    d.appendChild(b);
  }
  return d;
}

function reactionsNode(m, channel) {
  const bar = el("div", "reactions");
  const react = (name) => act({do: "react", channel, ts: m.ts, name}).then(refresh);
  (m.reactions || []).forEach((r) => {
    const chip = el("button", "reaction" + (r.users.includes(S.me) ? " mine" : ""), (EMOJI[r.name] || ":" + r.name + ":") + " " + r.count);
    chip.type = "button";
    chip.dataset.reaction = r.name;
    chip.title = r.users.map(personName).join(", ");
    chip.addEventListener("click", () => react(r.name));
    bar.appendChild(chip);
  });
  const add = el("select", "add-reaction");
  add.setAttribute("aria-label", L("add_reaction", "Add a reaction"));
  add.appendChild(el("option", null, "☺+")).value = "";
  REACTIONS.forEach((name) => { const o = el("option", null, (EMOJI[name] || "") + " :" + name + ":"); o.value = name; add.appendChild(o); });
  add.addEventListener("change", () => { if (add.value) react(add.value); });
  bar.appendChild(add);
  const shortcuts = S.state.shortcuts.filter((x) => x.type === "message");
  if (shortcuts.length) { // the message's "More actions" menu: the app's message shortcuts
    const more = el("select", "more-actions");
    more.setAttribute("aria-label", L("more_actions", "More actions"));
    more.appendChild(el("option", null, "⋯")).value = "";
    shortcuts.forEach((x) => { const o = el("option", null, x.name); o.value = x.callback_id; more.appendChild(o); });
    more.addEventListener("change", () => {
      if (more.value) act({do: "shortcut", callback_id: more.value, channel, ts: m.ts}).then(refresh);
    });
    bar.appendChild(more);
  }
  return bar;
}

function threadReplies(channel, ts) {
  return (S.state.messages[channel] || []).filter((m) => m.thread_ts === ts && m.ts !== ts);
}

function drawSide() {
  const who = $("who");
  if (who.options.length !== S.state.people.length) {
    who.textContent = "";
    S.state.people.forEach((p) => { const o = el("option", null, p.name + (p.role ? " — " + p.role : "")); o.value = p.id; who.appendChild(o); });
  }
  who.value = S.me;
  for (const [listId, kind] of [["channels", "channel"], ["dms", "im"]]) {
    const ul = $(listId);
    ul.textContent = "";
    S.state.channels.filter((c) => c.kind === kind).forEach((c) => {
      const a = el("a", "nav channel-link" + (S.view.kind === "channel" && S.view.id === c.id ? " active" : ""), (kind === "channel" ? "# " : "@ ") + c.name);
      a.href = "#"; a.dataset.id = c.id; a.dataset.kind = "channel";
      const li = el("li"); li.appendChild(a); ul.appendChild(li);
    });
  }
  const globals = $("shortcuts");
  globals.textContent = "";
  S.state.shortcuts.filter((x) => x.type === "global").forEach((x) => {
    const b = el("button", "shortcut", "⚡ " + x.name);
    b.type = "button";
    b.addEventListener("click", () => act({do: "shortcut", callback_id: x.callback_id}).then(refresh));
    const li = el("li"); li.appendChild(b); globals.appendChild(li);
  });
  $("nav-home").classList.toggle("active", S.view.kind === "home");
  $("nav-problems").classList.toggle("active", S.view.kind === "problems");
  const count = $("problem-count");
  count.textContent = String(S.state.problem_count);
  count.classList.toggle("bad", S.state.problem_count > 0);
  const v = $("validation");
  v.textContent = S.state.validation.on ? L("validation_on", "Block Kit validation on: every message and view is checked against Slack's schema.")
    : L("validation_off", "Block Kit validation is OFF: ") + S.state.validation.why + L("validation_off_end", ". Messages are not checked against Slack's schema.");
  v.classList.toggle("off", !S.state.validation.on);
}

function drawMain() {
  const box = $("messages");
  const nearBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 60;
  box.textContent = "";
  const composer = $("composer");
  if (S.view.kind === "home") {
    $("title").textContent = L("home_as", "SafeShift · Home (as ") + personName(S.me) + L("home_as_end", ")");
    composer.hidden = true;
    if (!S.homeOpened[S.me]) { S.homeOpened[S.me] = true; act({do: "home"}); }
    if (S.state.home) box.appendChild(renderBlocks(S.state.home.blocks, {where: {view_id: S.state.home.id}, form: false}));
    else box.appendChild(el("div", "empty", L("home_empty", "The Home tab is empty until the app publishes it…")));
    return;
  }
  if (S.view.kind === "problems") {
    $("title").textContent = L("problems_title", "What Slack would refuse or warn about");
    composer.hidden = true;
    if (!S.state.problems.length) box.appendChild(el("div", "empty", L("nothing_yet", "Nothing so far.")));
    S.state.problems.forEach((p) => {
      const d = el("div", "problem flag" + (p.refused ? "" : " note"));
      d.appendChild(el("b", null, (p.refused ? L("refused", "Refused: ") : L("note", "Note: ")) + p.method + (p.channel ? " → " + channelName(p.channel) : "")));
      const ul = el("ul");
      p.errors.forEach((e) => ul.appendChild(el("li", null, e)));
      d.appendChild(ul);
      if (p.text) d.appendChild(el("div", "hint", "text: " + p.text));
      const sent = p.blocks || (p.view && p.view.blocks);
      if (Array.isArray(sent)) d.appendChild(renderBlocks(sent, {where: {}, form: false}));
      const det = el("details"); det.appendChild(el("summary", null, "what was sent"));
      det.appendChild(el("pre", null, JSON.stringify(p.blocks || p.view || p.text, null, 2)));
      d.appendChild(det);
      box.appendChild(d);
    });
    return;
  }
  composer.hidden = false;
  const id = S.view.id;
  $("title").textContent = (id.startsWith("D") ? "@ " : "# ") + channelName(id);
  $("say").placeholder = L("message_in", "Message ") + (id.startsWith("D") ? "SafeShift" : "#" + channelName(id)) + L("as", " as ") + personName(S.me) + L("or_command", " — or a command: ") + S.state.commands.join(" ") + " …";
  const msgs = (S.state.messages[id] || []).filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  if (!msgs.length) box.appendChild(el("div", "empty", L("no_messages", "No messages yet. Try ") + (S.state.commands[0] || "/command") + L("below", " below.")));
  msgs.forEach((m) => box.appendChild(messageNode(m, id, false)));
  if (nearBottom || S.scrollNext) { box.scrollTop = box.scrollHeight; S.scrollNext = false; }
}

function drawThread() {
  const pane = $("thread");
  if (!S.thread || S.view.kind !== "channel" || S.thread.channel !== S.view.id) { pane.hidden = true; return; }
  pane.hidden = false;
  const box = $("thread-messages");
  box.textContent = "";
  const all = S.state.messages[S.thread.channel] || [];
  const parent = all.find((m) => m.ts === S.thread.ts);
  $("thread-title").textContent = L("thread_in", "Thread in #") + channelName(S.thread.channel);
  if (parent) box.appendChild(messageNode(parent, S.thread.channel, true));
  box.appendChild(el("hr"));
  threadReplies(S.thread.channel, S.thread.ts).forEach((m) => box.appendChild(messageNode(m, S.thread.channel, true)));
  box.scrollTop = box.scrollHeight;
}

function drawModal() {
  const m = S.state.modal;
  const back = $("modal-back");
  if (!m) { back.hidden = true; S.modalKey = null; return; }
  back.hidden = false;
  const key = m.id + ":" + m.view.hash;
  if (key !== S.modalKey) {
    S.modalKey = key;
    for (const k of Object.keys(inputReaders)) delete inputReaders[k];
    const v = m.view;
    $("modal-title").textContent = v.title ? v.title.text : "";
    $("modal-submit").textContent = v.submit ? v.submit.text : "";
    $("modal-submit").hidden = !v.submit;
    $("modal-close").textContent = v.close ? v.close.text : L("close", "Close");
    const body = $("modal-body");
    body.textContent = "";
    body.appendChild(renderBlocks(v.blocks, {where: {view_id: m.id}, form: true}));
    const probs = $("modal-problems");
    probs.textContent = "";
    S.localErrors = {};
  }
  // the app's errors (response_action: errors) and the page's own "required" notes both stay until the next submit
  document.querySelectorAll("[data-error-for]").forEach((e) => {
    e.textContent = (m.errors || {})[e.dataset.errorFor] || S.localErrors[e.dataset.errorFor] || "";
  });
  $("modal-error").textContent = (m.errors || {})[""] || "";
}

function draw() {
  if (!S.state) return;
  if (S.view.kind === "channel" && !S.state.channels.some((c) => c.id === S.view.id)) S.view = {kind: "channel", id: S.state.channels[0].id};
  drawSide(); drawMain(); drawThread(); drawModal();
}

async function refresh() {
  const r = await fetch("/sandbox/state?as=" + encodeURIComponent(S.me));
  if (r.status === 400 && S.me) { S.me = ""; return refresh(); } // a person of another demo: start as the default
  if (!r.ok) throw new Error("the sandbox answered " + r.status); // starting (503): poll() tries again
  sessionStorage.removeItem("sandbox.reloaded");
  S.state = await r.json();
  if (!S.me) S.me = S.state.me;
  S.version = S.state.version;
  draw();
  document.body.dataset.version = String(S.version);
  document.body.dataset.draws = String(+(document.body.dataset.draws || 0) + 1); // tests wait on a redraw
}

async function poll() {
  for (;;) {
    try {
      const r = await fetch("/sandbox/wait?v=" + S.version);
      if (!r.ok) throw new Error("the sandbox answered " + r.status);
      const {version} = await r.json();
      if (version !== S.version) await refresh();
    } catch (err) {
      S.version = -1; // the sandbox was away (a restart?): the next wait answers at once with the current state
      await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
}

// ------------------------------------------------------------------ wiring
function send(textarea, thread) {
  const text = textarea.value.trim();
  if (!text) return;
  textarea.value = "";
  S.scrollNext = true;
  act({do: "type", channel: thread ? thread.channel : S.view.id, text, thread_ts: thread ? thread.ts : null}).then(refresh);
}

document.addEventListener("DOMContentLoaded", () => {
  $("composer").addEventListener("submit", (ev) => { ev.preventDefault(); send($("say"), null); });
  $("thread-composer").addEventListener("submit", (ev) => { ev.preventDefault(); send($("thread-say"), S.thread); });
  for (const [area, thread] of [["say", false], ["thread-say", true]]) {
    $(area).addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send($(area), thread ? S.thread : null); }
    });
  }
  $("thread-close").addEventListener("click", () => { S.thread = null; draw(); });
  $("who").addEventListener("change", () => { S.me = $("who").value; localStorage.setItem("sandbox.me", S.me); S.modalKey = null; refresh(); });
  document.querySelector("#side").addEventListener("click", (ev) => {
    const a = ev.target.closest("a.nav");
    if (!a) return;
    ev.preventDefault();
    S.view = a.dataset.kind === "channel" ? {kind: "channel", id: a.dataset.id} : {kind: a.dataset.kind};
    if (S.view.kind === "channel") localStorage.setItem("sandbox.view", S.view.id);
    if (S.view.kind === "home") S.homeOpened[S.me] = false; // opening the tab tells the app again
    S.scrollNext = true;
    draw();
  });
  $("modal-submit").addEventListener("click", () => {
    const m = S.state.modal;
    const values = modalState();
    let missing = false;
    for (const [blockId, reader] of Object.entries(inputReaders)) {
      const [, value, required] = reader();
      const slot = document.querySelector('[data-error-for="' + CSS.escape(blockId) + '"]');
      const empty = required && isEmpty(value);
      if (empty) S.localErrors[blockId] = L("required", "Please complete this required field."); else delete S.localErrors[blockId];
      if (slot) slot.textContent = S.localErrors[blockId] || "";
      missing = missing || empty;
    }
    if (missing) return;
    const button = $("modal-submit");
    button.disabled = true; // one submission per click, as in Slack
    act({do: "submit", view_id: m.id, state: values}).then(refresh).finally(() => { button.disabled = false; });
  });
  for (const id of ["modal-close", "modal-x"]) $(id).addEventListener("click", () => act({do: "close", view_id: S.state.modal.id}).then(refresh));
  refresh().catch(() => {}).then(poll); // not up yet (a restart): poll() keeps asking
});
