// @ts-check
// ESLint flat config: typescript-eslint's strict and stylistic rule sets with type information
// (each file is checked against the tsconfig.json nearest to it: the root one, or lambda/dag-trigger's).
// Formatting is Prettier's job (`npm run format`); no rule here is about layout.
import eslint from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['**/dist/', 'coverage/', '**/.build/', '**/node_modules/']),
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  {
    files: ['**/*.ts'],
    extends: [eslint.configs.recommended, tseslint.configs.strictTypeChecked, tseslint.configs.stylisticTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Counts, ports, status codes and durations go into messages as numbers; objects, null and undefined stay refused.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      // Records and outside payloads (process.env, JSON bodies, AWS details) are read with ['key'] on purpose: the key may be missing.
      '@typescript-eslint/dot-notation': ['error', { allowIndexSignaturePropertyAccess: true }],
      // `(x) => resolve(x)` and `() => void promise` callbacks are the idiom of Node's event and promise APIs.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      // Would turn `x as string` into `x!`, which no-non-null-assertion refuses (typescript-eslint documents the pair as conflicting).
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
      // An `async` implementation of a Promise-returning interface (Bolt's authorize, stop, a test double) needs no await:
      // async turns a throw into a rejection, which `() => Promise.resolve(x)` would not.
      '@typescript-eslint/require-await': 'off',
      // `const { dropped: _, ...rest } = x` is how a key is left out of a copy.
      '@typescript-eslint/no-unused-vars': ['error', { ignoreRestSiblings: true }],
    },
  },
  {
    files: ['test/**/*.ts', 'lambda/dag-trigger/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // In tests and benchmarks `x!` is an assertion: a missing value fails the test at once, which is what it should do.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Jest's asymmetric matchers (expect.any, expect.stringContaining, ...) are typed `any`; every toEqual with one would be reported.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    // Build scripts and tool configs: plain Node JavaScript, no type information.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [eslint.configs.recommended],
    languageOptions: { globals: globals.node },
  },
);
