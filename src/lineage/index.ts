/** The lineage feature's public API (issue 15): what `/mlops lineage` shows, gathered from the store and AWS. */
export { collectLineage } from './collect-lineage';
