// A small inline-SVG line chart: enough for latency percentiles and equity curves, with no
// library. The SVG namespace is taken from the HTML parser rather than written out, so no
// asset contains an absolute URL (tests/browser checks that).
const SVG_NS = (() => {
  const d = document.createElement('div');
  d.innerHTML = '<svg></svg>';
  return d.firstChild.namespaceURI;
})();

function svg(tag, attrs = {}, text) {
  const el = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

// Round a span to 1, 2 or 5 x 10^k so the axis labels read well.
function niceStep(span, ticks) {
  const raw = span / Math.max(1, ticks);
  const mag = Math.pow(10, Math.floor(Math.log10(raw || 1)));
  const n = raw / mag;
  return (n <= 1 ? 1 : n <= 2 ? 2 : n <= 5 ? 5 : 10) * mag;
}

// series: [{name, color, points: [[x, y], ...]}]; x and y are numbers.
// Returns a <figure> with the chart (role img, described by its title and last values) and a
// legend; an empty chart says so instead of drawing axes around nothing.
export function lineChart({ title, series, width = 640, height = 220, xFormat = String,
                            yFormat = String, yMinZero = false }) {
  const fig = document.createElement('figure');
  fig.className = 'chart';
  const cap = document.createElement('figcaption');
  cap.textContent = title;
  fig.append(cap);
  const all = series.flatMap((s) => s.points).filter((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]));
  if (all.length === 0) {
    const p = document.createElement('p');
    p.className = 'muted';
    p.textContent = 'No data yet.';
    fig.append(p);
    return fig;
  }
  let [x0, x1] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [y0, y1] = [Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[1]))];
  if (yMinZero) y0 = Math.min(0, y0);
  if (x0 === x1) { x0 -= 1; x1 += 1; }
  if (y0 === y1) { const d = Math.abs(y0) * 0.05 || 1; y0 -= d; y1 += d; }
  const step = niceStep(y1 - y0, 4);
  y0 = Math.floor(y0 / step) * step;
  y1 = Math.ceil(y1 / step) * step;
  const m = { l: 70, r: 10, t: 10, b: 24 };
  const X = (x) => m.l + ((x - x0) / (x1 - x0)) * (width - m.l - m.r);
  const Y = (y) => height - m.b - ((y - y0) / (y1 - y0)) * (height - m.t - m.b);

  const desc = series
    .filter((s) => s.points.length)
    .map((s) => `${s.name} ${yFormat(s.points[s.points.length - 1][1])}`)
    .join(', ');
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img',
                            'aria-label': `${title}: latest ${desc}` });
  root.append(svg('title', {}, title));
  const axis = svg('g', { 'font-size': 11, fill: '#57606a' });
  for (let y = y0; y <= y1 + step / 2; y += step) {
    axis.append(svg('line', { x1: m.l, x2: width - m.r, y1: Y(y), y2: Y(y), stroke: '#e5e8eb' }));
    axis.append(svg('text', { x: m.l - 6, y: Y(y) + 4, 'text-anchor': 'end' }, yFormat(y)));
  }
  axis.append(svg('text', { x: m.l, y: height - 6 }, xFormat(x0)));
  axis.append(svg('text', { x: width - m.r, y: height - 6, 'text-anchor': 'end' }, xFormat(x1)));
  root.append(axis);
  for (const s of series) {
    if (!s.points.length) continue;
    const d = s.points.map((p, i) => `${i ? 'L' : 'M'}${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join('');
    root.append(svg('path', { d, fill: 'none', stroke: s.color, 'stroke-width': 1.8,
                              'stroke-dasharray': s.dashed ? '5 3' : 'none' }));
  }
  fig.append(root);
  const legend = document.createElement('ul');
  legend.className = 'legend';
  for (const s of series) {
    const li = document.createElement('li');
    const sw = document.createElement('span');
    sw.className = 'swatch';
    sw.style.background = s.color;
    sw.setAttribute('aria-hidden', 'true');
    li.append(sw, s.points.length ? `${s.name}: ${yFormat(s.points[s.points.length - 1][1])}` : `${s.name}: none`);
    legend.append(li);
  }
  fig.append(legend);
  return fig;
}
