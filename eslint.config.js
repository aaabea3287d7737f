// Lint rules that keep the rooms apart (VS Code style): a path tells which runtime you are in.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';
import i18next from 'eslint-plugin-i18next';
import globals from 'globals';

// main/ is plain Node: it runs in tests, the CLI and workers; it never reaches for Electron or the renderer.
const mainPatterns = [
  { group: ['electron', 'electron/*'], message: 'main/ is plain Node: it runs in tests, the CLI and workers. Only electron/ imports electron.' },
  { group: ['**/renderer/**', '../renderer/*'], message: 'main/ never imports the renderer.' },
];

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'test-results*/**', 'playwright-report/**', '.tmp/**', 'ml-models/**/*.onnx'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      'no-empty-pattern': 'off',
    },
  },
  {
    files: ['main/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: mainPatterns }],
    },
  },
  {
    // product code: benches, evaluations (bench/) and test kits (any testing/ folder) stay out of it
    files: ['main/**/*.ts'],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...mainPatterns,
            { regex: '(^|/)bench(/|$)', message: 'product code never imports bench/ (benches and evaluations import the product, not the other way).' },
            { regex: '(^|/)testing(/|$)', message: 'product code never imports a testing/ folder (test kits and references are for tests and benches).' },
          ],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'react-hooks/set-state-in-effect': 'off',
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['electron', 'electron/*', 'node:*', 'pg', 'onnxruntime-node', 'sharp'], message: 'the renderer runs in a sandboxed page: no Node or Electron modules.' },
            { regex: '(^|/)main/(?!api/|[a-z]+/types$)', message: 'the renderer may import only the API contract (main/api) and domains’ wire types (main/<domain>/types), and only as types.' },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'off',
    },
  },
  {
    // from the contract and the domains' wire types the renderer takes types only
    files: ['renderer/**/*.{ts,tsx}'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [{ regex: '(^|/)main/(api/|[a-z]+/types$)', allowTypeImports: true, message: 'import the API contract and wire types with `import type` only.' }] },
      ],
    },
  },
  {
    // Korean first, English second (#19): words on screen come from renderer/src/locales, never from JSX text.
    // Symbols, punctuation and numbers alone (·, –, %, ×, :, /, 3) may stand in JSX; any word may not, Korean included.
    // <kbd> holds key caps (H, Space, Esc), printed on the keyboard in Latin letters whatever the UI language.
    files: ['renderer/src/**/*.tsx'],
    ignores: ['**/*.test.tsx', 'renderer/src/testing/**'],
    plugins: { i18next },
    rules: {
      'i18next/no-literal-string': ['error', { mode: 'jsx-text-only', 'jsx-components': { exclude: ['Trans', 'kbd'] }, words: { exclude: [/^[\p{N}\p{P}\p{S}\s]*$/u] } }],
    },
  },
);
