/**
 * Charts (issue 13): pure chart specs (chart-spec.ts), drawn to SVG and rasterised to PNG with a
 * bundled font (render-chart.ts), uploaded to Slack once per content (chart-uploads.ts), and the
 * evaluation card's charts posted in its thread after the card (evaluation-charts.ts).
 */
export { createEvaluationCharts, type EvaluationCharts, type EvaluationChartsOptions, type PostedDelivery } from './evaluation-charts';
export { CANDIDATE_COLOUR, confusionMatrixSpec, metricTrendSpec, type ChartSpec } from './chart-spec';
export { renderChartPng } from './render-chart';
export { historyChartBlock, statusChartBlock } from './model-charts';
