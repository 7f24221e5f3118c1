/** The bake feature's public API (issue 14): the watch after deployment.succeeded and its job. */
export { BAKE_JOB, candidateThread, createBakeWatch, type BakeRecord, type BakeWatch } from './bake-watch';
