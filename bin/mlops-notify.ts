#!/usr/bin/env node
import { mlopsNotify } from '../src/cli/mlops-notify';

// Thin entry point: the logic (and its tests) live in src/cli/mlops-notify.ts.
mlopsNotify(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`mlops-notify: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
