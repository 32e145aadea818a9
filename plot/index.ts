/** @vigil/plot: one escaping function and the SVG pieces vigil's figures are drawn with. */
export { esc } from './escape.ts';
export { extent, linearScale, logScale, niceStep, type Scale } from './scale.ts';
export { axisTitles, band, el, envelopePoints, legend, linePath, marker, px, svgDoc, text, xAxis, yAxis, type Attrs, type Box, type LegendItem } from './svg.ts';
