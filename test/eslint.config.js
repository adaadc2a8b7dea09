// Lives under test/ because the repository's top level is fixed; run with `eslint -c test/eslint.config.js`.
import js from '@eslint/js'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'
import { fileURLToPath } from 'node:url'
import ts from 'typescript-eslint'
import svelteConfig from '../svelte.config.js'

export default ts.config(
  { ignores: ['build/', '.svelte-kit/', 'node_modules/', 'static/'] },
  js.configs.recommended,
  ...ts.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      'no-undef': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': ['error', { allow: ['error'] }]
    }
  },
  {
    files: ['src/server/**', 'test/**'],
    rules: { 'no-console': 'off' }
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    // typescript-eslint would look for tsconfig.json only as far up as this file's folder, which
    // leaves components under test/ outside every project.
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: fileURLToPath(new URL('..', import.meta.url)), extraFileExtensions: ['.svelte'], parser: ts.parser, svelteConfig } }
  }
)
