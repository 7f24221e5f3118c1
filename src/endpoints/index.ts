/**
 * The endpoints feature's public API (used by `/mlops status` and the Home tab): one endpoint
 * inspected in detail, or every configured endpoint as a summary row. Both read SageMaker and
 * CloudWatch through the EndpointInspector port and the deployed version from the store.
 */
export {
  DEFAULT_STATUS_WINDOW,
  findStatusWindow,
  inspectEndpoint,
  STATUS_WINDOW_MINUTES,
  STATUS_WINDOWS,
  type EndpointInspection,
  type StatusWindow,
} from './inspect-endpoint';
export { collectEndpointSummaries } from './collect-endpoint-summaries';
