// Relate live demo: a record's timeline and your work list, kept live over graphql-transport-ws.
// Plain ES module, no build step, public API only. Read it as an example client:
// 1. read `liveCursor` *before* loading the views, 2. load them over HTTP, 3. subscribe with
// `after: <that cursor>` so nothing committed in between is missed (R-LIVE-2), 4. on a dropped
// socket, reconnect and resume from the last cursor received.

const $ = (id) => document.getElementById(id);

const ENTRY = `
  fragment Entry on TimelineEntry {
    __typename
    ... on Activity { id subject state due createdOn }
    ... on Note { id title createdOn }
  }`;
const VIEW = `
  query DemoView($id: ID!) {
    viewer { user { fullName } }
    node(id: $id) { ... on Record { name } }
    timeline(recordId: $id, first: 25) { totalCount edges { node { ...Entry } } }
  }${ENTRY}`;
const WORK = `
  query DemoWork {
    workList(first: 25) {
      totalCount
      edges { node { current { id kind subject due state } record { name } } }
    }
  }`;
const TIMELINE_SUB = `
  subscription DemoTimeline($id: ID!, $after: String) {
    timelineChanged(recordId: $id, after: $after) { cursor change entryId entry { ...Entry } }
  }${ENTRY}`;
const WORK_SUB = `subscription DemoWorkList($after: String) { workListChanged(after: $after) { cursor reason } }`;

const state = { token: null, recordId: null, cursors: {}, socket: null, retry: 0, total: 0, closed: false };

async function graphql(query, variables = {}) {
  const response = await fetch("/graphql", {
    method: "POST",
    headers: { "Content-Type": "application/json", Authorization: `Bearer ${state.token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors && body.errors.length) throw new Error(body.errors.map((e) => e.message).join("; "));
  return body.data;
}

function when(iso) {
  return iso ? new Date(iso).toLocaleString([], { dateStyle: "medium", timeStyle: "short" }) : "";
}

function item(id, kind, title, meta) {
  const li = document.createElement("li");
  if (id) li.dataset.id = id;
  const badge = document.createElement("span");
  badge.className = "kind";
  badge.textContent = kind;
  const text = document.createElement("span");
  text.className = "title";
  text.textContent = title;
  const right = document.createElement("span");
  right.className = "meta";
  right.textContent = meta;
  li.append(badge, text, right);
  return li;
}

function entryItem(entry) {
  const isNote = entry.__typename === "Note";
  const title = isNote ? entry.title || "(note)" : entry.subject;
  const meta = isNote ? when(entry.createdOn) : [entry.state, when(entry.due)].filter(Boolean).join(" · ");
  return item(entry.id, entry.__typename, title, meta);
}

function message(list, text, className = "empty") {
  const li = document.createElement("li");
  li.className = className;
  li.textContent = text;
  list.replaceChildren(li);
}

function showCount() {
  $("timeline-count").textContent = `(${state.total})`;
}

function upsertEntry(entry, fresh) {
  const list = $("timeline");
  list.querySelector("li.empty")?.remove();
  const li = entryItem(entry);
  if (fresh) li.classList.add("fresh");
  const existing = list.querySelector(`li[data-id="${CSS.escape(entry.id)}"]`);
  if (existing) existing.replaceWith(li);
  else { list.prepend(li); state.total += 1; }
  showCount();
}

function removeEntry(entryId) {
  const existing = $("timeline").querySelector(`li[data-id="${CSS.escape(entryId)}"]`);
  if (existing) { existing.remove(); state.total -= 1; showCount(); }
}

async function loadWorkList() {
  const list = $("work-list");
  try {
    const { workList } = await graphql(WORK);
    if (!workList.edges.length) return message(list, "Nothing due. Enjoy.");
    list.replaceChildren(...workList.edges.map(({ node }) => item(
      node.current.id, node.current.kind, node.current.subject,
      [node.record?.name, when(node.current.due)].filter(Boolean).join(" · "))));
  } catch (error) {
    message(list, `Work list unavailable: ${error.message}`, "error");
  }
}

let workListTimer = null;
function refreshWorkListSoon() {
  clearTimeout(workListTimer);
  workListTimer = setTimeout(loadWorkList, 150); // a burst of events, one refetch
}

function setStatus(text, kind) {
  $("status").textContent = text;
  $("status").dataset.state = kind;
}

function onEvent(id, payload) {
  if (payload.timelineChanged) {
    const event = payload.timelineChanged;
    state.cursors[id] = event.cursor;
    if (event.change === "REMOVED" || !event.entry) removeEntry(event.entryId);
    else upsertEntry(event.entry, true);
    refreshWorkListSoon(); // a task due on this record may change the work list too
  } else if (payload.workListChanged) {
    state.cursors[id] = payload.workListChanged.cursor;
    refreshWorkListSoon();
  }
}

function connect() {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  const socket = new WebSocket(`${scheme}//${location.host}/graphql`, "graphql-transport-ws");
  state.socket = socket;
  const send = (message) => socket.send(JSON.stringify(message));
  socket.onopen = () => send({ type: "connection_init", payload: { authorization: `Bearer ${state.token}` } });
  socket.onmessage = ({ data }) => {
    const message = JSON.parse(data);
    if (message.type === "connection_ack") {
      state.retry = 0;
      setStatus("live", "live");
      send({ id: "timeline", type: "subscribe", payload: {
        query: TIMELINE_SUB, variables: { id: state.recordId, after: state.cursors.timeline } } });
      send({ id: "work", type: "subscribe", payload: { query: WORK_SUB, variables: { after: state.cursors.work } } });
    } else if (message.type === "ping") {
      send({ type: "pong" });
    } else if (message.type === "next") {
      if (message.payload.data) onEvent(message.id, message.payload.data);
      else if (message.payload.errors) setStatus(message.payload.errors[0].message, "offline");
    } else if (message.type === "error") {
      setStatus(message.payload[0]?.message || "subscription refused", "offline");
    }
  };
  socket.onclose = (event) => {
    if (state.closed || state.socket !== socket) return;
    if (event.code === 4403 || event.code === 4401) return setStatus("token refused", "offline");
    const delay = Math.min(10000, 250 * 2 ** state.retry++);
    setStatus(`reconnecting in ${(delay / 1000).toFixed(1)}s`, "offline");
    setTimeout(connect, delay); // resumes after the last cursor received: nothing is lost
  };
}

async function start(token, recordId) {
  state.token = token;
  state.recordId = recordId;
  state.socket?.close();
  setStatus("loading", "idle");
  try {
    const { liveCursor } = await graphql("{ liveCursor }"); // before the views: see the top
    state.cursors = { timeline: liveCursor, work: liveCursor };
    const view = await graphql(VIEW, { id: recordId });
    $("viewer").textContent = view.viewer.user.fullName;
    $("record-name").textContent = view.node ? view.node.name : "(not readable)";
    state.total = view.timeline ? view.timeline.totalCount : 0;
    showCount();
    const entries = view.timeline ? view.timeline.edges.map(({ node }) => entryItem(node)) : [];
    if (entries.length) $("timeline").replaceChildren(...entries);
    else message($("timeline"), "No activities or notes yet.");
    await loadWorkList();
    connect();
  } catch (error) {
    setStatus(error.message, "offline");
    message($("timeline"), error.message, "error");
  }
}

function init() {
  // A link gives the token in the fragment (/demo#token=…&record=…): browsers never send the
  // fragment to a server, so the token stays out of access logs, proxies and Referer headers.
  const params = new URLSearchParams(location.hash.slice(1));
  const token = params.get("token") || sessionStorage.getItem("relate-demo-token");
  const record = params.get("record") || new URLSearchParams(location.search).get("record") || "";
  if (params.has("token")) {
    // Keep the token out of the address bar and the history once read.
    sessionStorage.setItem("relate-demo-token", params.get("token"));
    params.delete("token");
    history.replaceState(null, "", `${location.pathname}${location.search}${params.size ? `#${params}` : ""}`);
  }
  $("token").value = token || "";
  $("record").value = record;
  $("sign-in").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("relate-demo-token", $("token").value.trim());
    start($("token").value.trim(), $("record").value.trim());
  });
  window.addEventListener("beforeunload", () => { state.closed = true; state.socket?.close(); });
  if (token && record) start(token, record);
}

init();
