// Small SVG charts drawn here (no library): daily series as bars, with a title, a description and the numbers as
// a table for screen readers and for anyone who wants the figures.
import { h } from "./dom.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

/** Rounds up to 1, 2 or 5 times a power of ten, for the axis. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  return [1, 2, 5, 10].map((m) => m * power).find((v) => v >= value);
}

/**
 * A bar chart of `points` ({ label, value } with value a number) with `format` for the numbers.
 * Returns a <figure> holding the SVG and a table of the same data.
 */
export function barChart({ id, title, points, format, unit }) {
  const width = 640;
  const height = 220;
  const pad = { top: 16, right: 12, bottom: 36, left: 84 };
  const innerW = width - pad.left - pad.right;
  const innerH = height - pad.top - pad.bottom;
  const max = niceMax(Math.max(0, ...points.map((p) => p.value)));
  const step = innerW / Math.max(points.length, 1);
  const barW = Math.max(2, Math.min(36, step * 0.7));
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  const chart = svg(
    "svg",
    { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-labelledby": `${titleId} ${descId}`, class: "chart", focusable: "false" },
    svg("title", { id: titleId }, title),
    svg("desc", { id: descId }, points.length === 0 ? "No data yet." : `${points.length} days; highest ${format(max)} ${unit}. The table below lists every value.`),
  );
  for (const tick of [0, 0.5, 1]) {
    const y = pad.top + innerH * (1 - tick);
    chart.append(svg("line", { x1: pad.left, x2: width - pad.right, y1: y, y2: y, class: "grid" }));
    chart.append(svg("text", { x: pad.left - 8, y: y + 4, "text-anchor": "end", class: "axis" }, format(max * tick)));
  }
  points.forEach((p, i) => {
    const barH = (p.value / max) * innerH;
    const x = pad.left + i * step + (step - barW) / 2;
    chart.append(svg("rect", { x, y: pad.top + innerH - barH, width: barW, height: Math.max(barH, p.value > 0 ? 1 : 0), class: "bar" }, svg("title", {}, `${p.label}: ${format(p.value)} ${unit}`)));
    const every = Math.ceil(points.length / 8);
    if ((points.length - 1 - i) % every === 0) {
      chart.append(svg("text", { x: x + barW / 2, y: height - pad.bottom + 18, "text-anchor": "middle", class: "axis" }, p.label.slice(5)));
    }
  });
  const data = h(
    "details",
    { class: "chart-data" },
    h("summary", {}, `${title}: the figures`),
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Day"), h("th", { scope: "col", class: "num" }, unit))),
      h("tbody", {}, points.map((p) => h("tr", {}, h("th", { scope: "row" }, p.label), h("td", { class: "num" }, p.exact ?? format(p.value))))),
    ),
  );
  return h("figure", { class: "chart-figure" }, h("figcaption", {}, title), chart, data);
}
