/** The shadow feature's public API (issue 14): the live production-vs-shadow comparison, on request and at the end of the shadow window. */
export { SHADOW_JOB, createShadowWatch, type ShadowRecord, type ShadowWatch } from './shadow-watch';
export { registerShadowListeners } from './shadow-listeners';
