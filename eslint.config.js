// Type-aware linting for every package (issue 10). Rules are typescript-eslint's recommended and
// type-checked sets; the few changes below say why.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Globals of the Node.js scripts (no `globals` package needed for this short list). */
const NODE_GLOBALS = Object.fromEntries(
  [
    'process',
    'console',
    'URL',
    'Buffer',
    'setTimeout',
    'clearTimeout',
    'setInterval',
    'clearInterval',
    'setImmediate',
    'performance',
    'fetch',
    'AbortController',
    'TextEncoder',
    'TextDecoder',
    '__dirname',
    'require',
    'module',
    'structuredClone',
    'queueMicrotask',
  ].map((name) => [name, 'readonly']),
);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      'packages/server/src/gen/**',
      'bench/results/**',
      'coverage/**',
      '**/*.cjs',
      '**/*.d.mts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: {
          // Root-level TypeScript outside the packages' tsconfigs (bench, vitest config).
          allowDefaultProject: ['vitest.config.ts', 'bench/lib/*.ts', 'bench/micro/*.ts'],
          defaultProject: 'tsconfig.base.json',
        },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      // Unused names are already errors in tsc (noUnusedLocals/Parameters); one report is enough.
      '@typescript-eslint/no-unused-vars': 'off',
      // `void promise` is how we mark a deliberately unawaited call.
      '@typescript-eslint/no-floating-promises': ['error', { ignoreVoid: true }],
      // Hono handlers and node callbacks take async functions by design.
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: false }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // Engines with synchronous drivers (SQLite) implement the async storage contract with async
      // functions that never await: that is the contract, not a mistake.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-non-null-assertion': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    // Plain JavaScript build and bench scripts: Node globals, no type information.
    files: ['**/*.mjs', '**/*.js'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: NODE_GLOBALS },
  },
);
