/**
 * The admin endpoint's dashboard: one self-contained page (no scripts or styles from elsewhere: admin ports
 * often have no way out) that follows `/stats/stream` and draws, per reactor, connections, bytes per second,
 * events per second, paused connections and the event loop's delay and utilization, for the last two minutes.
 *
 * @internal
 */
export const dashboardPage = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>rxloop</title>
<style>
  :root {
    --bg: #0f1419; --panel: #171d24; --line: #252d36; --text: #e6e9ed; --muted: #8b96a3;
    --good: #3fb950; --warn: #d29922; --bad: #f85149;
  }
  * { box-sizing: border-box; }
  body { margin: 0; background: var(--bg); color: var(--text); font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; }
  header { display: flex; align-items: center; gap: 16px; padding: 14px 24px; border-bottom: 1px solid var(--line); }
  header h1 { font-size: 18px; margin: 0; letter-spacing: 0.5px; }
  header h1 span { color: var(--muted); font-weight: 400; }
  .pill { padding: 3px 10px; border-radius: 999px; font-size: 12px; font-weight: 600; background: var(--line); }
  .pill.ready { background: rgba(63, 185, 80, 0.15); color: var(--good); }
  .pill.draining { background: rgba(210, 153, 34, 0.18); color: var(--warn); }
  .pill.offline { background: rgba(248, 81, 73, 0.15); color: var(--bad); }
  #updated { margin-left: auto; color: var(--muted); font-size: 12px; }
  main { padding: 20px 24px 32px; }
  .kpis { display: grid; grid-template-columns: repeat(auto-fit, minmax(150px, 1fr)); gap: 12px; margin-bottom: 20px; }
  .kpi { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
  .kpi .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: 0.6px; }
  .kpi .value { font-size: 24px; font-weight: 600; margin-top: 4px; font-variant-numeric: tabular-nums; }
  .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(360px, 1fr)); gap: 12px; }
  .chart { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px 8px; }
  .chart h2 { font-size: 13px; font-weight: 600; margin: 0 0 6px; display: flex; justify-content: space-between; }
  .chart h2 .now { color: var(--muted); font-weight: 400; font-variant-numeric: tabular-nums; }
  .chart svg { width: 100%; height: 150px; display: block; }
  .chart svg text { fill: var(--muted); font-size: 10px; }
  .grid line { stroke: var(--line); stroke-width: 1; }
  .legend { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 4px; font-size: 12px; color: var(--muted); }
  .legend i { display: inline-block; width: 10px; height: 3px; border-radius: 2px; margin-right: 5px; vertical-align: middle; }
  table { width: 100%; border-collapse: collapse; margin-top: 20px; background: var(--panel); border: 1px solid var(--line); border-radius: 8px; overflow: hidden; }
  th, td { padding: 8px 12px; text-align: right; border-bottom: 1px solid var(--line); font-variant-numeric: tabular-nums; }
  th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: 0.5px; }
  th:first-child, td:first-child { text-align: left; }
  tr:last-child td { border-bottom: none; }
  .swatch { display: inline-block; width: 8px; height: 8px; border-radius: 50%; margin-right: 8px; }
</style>
</head>
<body>
<header>
  <h1>rxloop <span>server</span></h1>
  <span id="state" class="pill offline">connecting</span>
  <span id="updated">waiting for the first sample</span>
</header>
<main>
  <section class="kpis">
    <div class="kpi"><div class="label">Connections</div><div class="value" id="k-connections">-</div></div>
    <div class="kpi"><div class="label">Received</div><div class="value" id="k-in">-</div></div>
    <div class="kpi"><div class="label">Sent</div><div class="value" id="k-out">-</div></div>
    <div class="kpi"><div class="label">Events / s</div><div class="value" id="k-events">-</div></div>
    <div class="kpi"><div class="label">Paused</div><div class="value" id="k-paused">-</div></div>
    <div class="kpi"><div class="label">Loop delay p99</div><div class="value" id="k-delay">-</div></div>
  </section>
  <section class="charts" id="charts"></section>
  <table id="reactors">
    <thead><tr><th>Reactor</th><th>Open</th><th>Accepted</th><th>In / s</th><th>Out / s</th><th>Events / s</th><th>Paused</th><th>Backlog</th><th>Errors</th><th>Loop p99</th><th>Loop busy</th></tr></thead>
    <tbody></tbody>
  </table>
</main>
<script>
'use strict';
const WINDOW = 120;            // seconds of history drawn
const COLORS = ['#58a6ff', '#3fb950', '#d29922', '#bc8cff', '#f778ba', '#39c5cf', '#ff7b72', '#a5d6ff'];
const history = [];            // { at, ready, reactors: Map(name -> row) }, oldest first
const colorOf = new Map();

const bytes = (n) => {
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? Math.round(n) : n.toFixed(n < 10 ? 2 : 1)) + ' ' + units[i];
};
const count = (n) => (n >= 1e6 ? (n / 1e6).toFixed(2) + 'M' : n >= 1e4 ? (n / 1e3).toFixed(1) + 'k' : String(Math.round(n)));
const ms = (seconds) => (seconds * 1000).toFixed(seconds === 0 ? 0 : seconds < 0.01 ? 2 : 1) + ' ms';
const percent = (ratio) => (ratio * 100).toFixed(0) + '%';

const charts = [
  { id: 'connections', title: 'Open connections', value: (r) => r.connections, format: count, floor: 4 },
  { id: 'in', title: 'Received per second', value: (r, p, dt) => rate(r.bytesIn, p && p.bytesIn, dt), format: (v) => bytes(v) + '/s' },
  { id: 'out', title: 'Sent per second', value: (r, p, dt) => rate(r.bytesOut, p && p.bytesOut, dt), format: (v) => bytes(v) + '/s' },
  { id: 'events', title: 'Events per second', value: (r, p, dt) => rate(r.events, p && p.events, dt), format: count, floor: 4 },
  { id: 'paused', title: 'Paused connections (backpressure)', value: (r) => (r.metrics ? r.metrics.pausedConnections : 0), format: count, floor: 4 },
  { id: 'delay', title: 'Event-loop delay p99', value: (r) => (r.metrics ? r.metrics.eventLoop.delay.p99 : 0), format: ms, floor: 0.004 },
  { id: 'elu', title: 'Event-loop utilization', value: (r) => (r.metrics ? r.metrics.eventLoop.utilization : 0), format: percent, max: 1 },
];

function rate(now, before, dt) {
  return before === undefined || dt <= 0 ? 0 : Math.max(0, (now - before) / dt);
}

const svgNS = 'http://www.w3.org/2000/svg';
function el(name, attrs, parent) {
  const node = document.createElementNS(svgNS, name);
  for (const key in attrs) node.setAttribute(key, attrs[key]);
  if (parent) parent.appendChild(node);
  return node;
}

const chartsBox = document.getElementById('charts');
for (const chart of charts) {
  const box = document.createElement('div');
  box.className = 'chart';
  box.id = 'chart-' + chart.id;
  box.innerHTML = '<h2><span></span><span class="now"></span></h2><svg></svg><div class="legend"></div>';
  box.querySelector('h2 span').textContent = chart.title;
  chartsBox.appendChild(box);
  chart.box = box;
}

// The top of the axis: four equal steps of a round size (1, 2, 2.5 or 5 times a power of ten).
function niceMax(value) {
  if (!(value > 0)) return 1;
  const raw = value / 4;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  for (const step of [1, 2, 2.5, 5, 10]) if (raw <= step * power) return 4 * step * power;
  return 40 * power;
}

function series(chart) {
  const lines = new Map();
  for (let i = 0; i < history.length; i++) {
    const point = history[i];
    const before = history[i - 1];
    const dt = before ? (point.at - before.at) / 1000 : 0;
    for (const [name, row] of point.reactors) {
      const previous = before ? before.reactors.get(name) : undefined;
      if (!lines.has(name)) lines.set(name, []);
      lines.get(name).push([point.at, chart.value(row, previous, dt)]);
    }
  }
  return lines;
}

function draw(chart) {
  const svg = chart.box.querySelector('svg');
  svg.replaceChildren();
  // Drawn at the element's own size, so text is never stretched.
  const W = Math.max(200, svg.clientWidth || 400), H = 150, left = 64, right = 8, top = 8, bottom = 18;
  svg.setAttribute('viewBox', '0 0 ' + W + ' ' + H);
  const now = history.length ? history[history.length - 1].at : Date.now();
  // The window grows with the history, from 30 s to two minutes, so a fresh page is not one sliver at the edge.
  const span = Math.min(WINDOW, Math.max(30, history.length ? (now - history[0].at) / 1000 : 0));
  const lines = series(chart);
  let max = chart.max || 0;
  if (!chart.max) for (const points of lines.values()) for (const [, v] of points) max = Math.max(max, v);
  max = chart.max || niceMax(Math.max(max * 1.1, chart.floor || 0));
  const x = (t) => left + (W - left - right) * (1 - (now - t) / 1000 / span);
  const y = (v) => top + (H - top - bottom) * (1 - Math.min(v, max) / max);
  const grid = el('g', { class: 'grid' }, svg);
  for (let i = 0; i <= 4; i++) {
    const v = (max * i) / 4;
    el('line', { x1: left, x2: W - right, y1: y(v), y2: y(v) }, grid);
    el('text', { x: left - 6, y: y(v) + 3, 'text-anchor': 'end' }, svg).textContent = chart.format(v);
  }
  const label = (seconds) => (seconds % 60 === 0 && seconds > 0 ? '-' + seconds / 60 + ' min' : '-' + Math.round(seconds) + ' s');
  for (const [text, seconds] of [[label(span), span], [label(span / 2), span / 2], ['now', 0]]) {
    el('text', { x: x(now - seconds * 1000), y: H - 4, 'text-anchor': seconds === span ? 'start' : seconds === 0 ? 'end' : 'middle' }, svg).textContent = text;
  }
  const legend = chart.box.querySelector('.legend');
  legend.replaceChildren();
  let total = 0;
  for (const [name, points] of lines) {
    const color = colorOf.get(name);
    const visible = points.filter(([t]) => now - t <= span * 1000);
    if (visible.length > 1) {
      const d = visible.map(([t, v], i) => (i ? 'L' : 'M') + x(t).toFixed(1) + ' ' + y(v).toFixed(1)).join(' ');
      if (lines.size === 1) el('path', { d: d + ' L' + x(visible[visible.length - 1][0]).toFixed(1) + ' ' + y(0) + ' L' + x(visible[0][0]).toFixed(1) + ' ' + y(0) + ' Z', fill: color, 'fill-opacity': 0.12, stroke: 'none' }, svg);
      el('path', { d, fill: 'none', stroke: color, 'stroke-width': 1.8, 'stroke-linejoin': 'round', 'vector-effect': 'non-scaling-stroke' }, svg);
    }
    const last = points.length ? points[points.length - 1][1] : 0;
    total += last;
    const item = document.createElement('span');
    item.innerHTML = '<i></i>';
    item.querySelector('i').style.background = color;
    item.appendChild(document.createTextNode(name + ' ' + chart.format(last)));
    legend.appendChild(item);
  }
  chart.box.querySelector('.now').textContent = chart.id === 'delay' || chart.id === 'elu' ? '' : chart.format(total);
}

function table() {
  const body = document.querySelector('#reactors tbody');
  body.replaceChildren();
  const point = history[history.length - 1];
  const before = history[history.length - 2];
  const dt = before ? (point.at - before.at) / 1000 : 0;
  for (const [name, r] of point.reactors) {
    const p = before ? before.reactors.get(name) : undefined;
    const m = r.metrics;
    const cells = [
      name, count(r.connections), count(r.accepted), bytes(rate(r.bytesIn, p && p.bytesIn, dt)) + '/s',
      bytes(rate(r.bytesOut, p && p.bytesOut, dt)) + '/s', count(rate(r.events, p && p.events, dt)),
      m ? count(m.pausedConnections) : '-', m ? bytes(m.writeBacklogBytes) : '-', count(r.handlerErrors),
      m ? ms(m.eventLoop.delay.p99) : '-', m ? percent(m.eventLoop.utilization) : '-',
    ];
    const tr = document.createElement('tr');
    cells.forEach((text, i) => {
      const td = document.createElement('td');
      if (i === 0) {
        const dot = document.createElement('span');
        dot.className = 'swatch';
        dot.style.background = colorOf.get(name);
        td.appendChild(dot);
      }
      td.appendChild(document.createTextNode(text));
      tr.appendChild(td);
    });
    body.appendChild(tr);
  }
}

function kpis() {
  const point = history[history.length - 1];
  const before = history[history.length - 2];
  const dt = before ? (point.at - before.at) / 1000 : 0;
  let open = 0, received = 0, sent = 0, events = 0, paused = 0, delay = 0;
  for (const [name, r] of point.reactors) {
    const p = before ? before.reactors.get(name) : undefined;
    open += r.connections;
    received += rate(r.bytesIn, p && p.bytesIn, dt);
    sent += rate(r.bytesOut, p && p.bytesOut, dt);
    events += rate(r.events, p && p.events, dt);
    if (r.metrics) {
      paused += r.metrics.pausedConnections;
      delay = Math.max(delay, r.metrics.eventLoop.delay.p99);
    }
  }
  document.getElementById('k-connections').textContent = count(open);
  document.getElementById('k-in').textContent = bytes(received) + '/s';
  document.getElementById('k-out').textContent = bytes(sent) + '/s';
  document.getElementById('k-events').textContent = count(events);
  document.getElementById('k-paused').textContent = count(paused);
  document.getElementById('k-delay').textContent = ms(delay);
}

function setState(text, kind) {
  const pill = document.getElementById('state');
  pill.textContent = text;
  pill.className = 'pill ' + kind;
}

function receive(stats) {
  const reactors = new Map();
  for (const r of stats.reactors) {
    if (!colorOf.has(r.reactor)) colorOf.set(r.reactor, COLORS[colorOf.size % COLORS.length]);
    reactors.set(r.reactor, r);
  }
  history.push({ at: stats.at, reactors });
  while (history.length > 2 && stats.at - history[0].at > (WINDOW + 5) * 1000) history.shift();
  setState(stats.ready ? 'ready' : 'draining', stats.ready ? 'ready' : 'draining');
  document.getElementById('updated').textContent = 'updated ' + new Date(stats.at).toLocaleTimeString() + ' · ' + stats.reactors.length + ' reactor' + (stats.reactors.length === 1 ? '' : 's');
  document.body.dataset.samples = String(history.length);
  kpis();
  for (const chart of charts) draw(chart);
  table();
}

window.addEventListener('resize', () => { if (history.length) for (const chart of charts) draw(chart); });
const stream = new EventSource('stats/stream');
stream.onmessage = (event) => receive(JSON.parse(event.data));
stream.onerror = () => setState('offline', 'offline');
</script>
</body>
</html>
`;
