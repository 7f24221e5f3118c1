/**
 * The endpoints feature's public API (used by `/mlops status` and the Home tab): one endpoint
 * inspected in detail, or every configured endpoint as a summary row. Both read SageMaker and
 * CloudWatch through the EndpointInspector port and the deployed version from the store.
 */
export { inspectEndpoint, STATUS_WINDOW_MINUTES, type EndpointInspection } from './inspect-endpoint';
export { collectEndpointSummaries } from './collect-endpoint-summaries';
