// Lint rules, including the import directions of the architecture (see docs/ARCHITECTURE.md):
// renderer → shared; preload → shared; main services → shared; only src-main/app imports electron;
// ml/ only from workers, bench and tests.
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import vue from 'eslint-plugin-vue'
import vueParser from 'vue-eslint-parser'

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'url', 'util']

/** Build a no-restricted-imports rule from forbidden module patterns with a reason each. */
const forbid = (...groups) => ['error', { patterns: groups.map(([group, message]) => ({ group, message })) }]

export default tseslint.config(
  { ignores: ['out/**', 'node_modules/**', 'test-results/**', 'demo-output/**', 'bench/**/*.json', 'tests/fixtures/**', '.cache/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...vue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parser: vueParser, parserOptions: { parser: tseslint.parser, sourceType: 'module' } }
  },
  {
    rules: {
      // TypeScript checks undefined names (and knows DOM/Node globals per tsconfig)
      'no-undef': 'off',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': ['error', { object: 'describe', property: 'only' }, { object: 'it', property: 'only' }, { object: 'test', property: 'only' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off'
    }
  },
  {
    files: ['src-shared/**'],
    rules: {
      'no-restricted-imports': forbid(
        [['electron'], 'src-shared must not depend on Electron'],
        [['**/src-main/**', '**/src-renderer/**', '**/src-preload/**'], 'src-shared imports nothing but itself and zod'],
        [nodeBuiltins, 'src-shared runs in the renderer too: no Node built-ins']
      )
    }
  },
  {
    files: ['src-renderer/**'],
    rules: {
      'no-restricted-imports': forbid(
        [['electron'], 'the renderer is sandboxed: reach the core through bridge/'],
        [['**/src-main/**', '**/src-preload/**'], 'the renderer imports only src-shared and itself; the core is reached through bridge/'],
        [nodeBuiltins, 'the renderer has no Node built-ins']
      )
    }
  },
  {
    files: ['src-preload/**'],
    rules: {
      'no-restricted-imports': forbid([['**/src-main/**', '**/src-renderer/**'], 'the preload imports only electron and src-shared'])
    }
  },
  {
    files: ['src-main/**', 'tests/**', 'scripts/**'],
    ignores: ['src-main/app/**'],
    rules: {
      'no-restricted-imports': forbid(
        [['electron', 'electron/*'], 'only src-main/app/ may import electron (the core runs under plain Node)'],
        [['**/src-renderer/**', '**/src-preload/**'], 'the core does not import renderer or preload code']
      )
    }
  },
  {
    files: ['src-main/**'],
    ignores: ['src-main/app/**', 'src-main/ml/**', 'src-main/workers/**', 'src-main/bench/**'],
    rules: {
      'no-restricted-imports': forbid(
        [['electron', 'electron/*'], 'only src-main/app/ may import electron (the core runs under plain Node)'],
        [['**/src-renderer/**', '**/src-preload/**'], 'the core does not import renderer or preload code'],
        [['**/ml/**', '@tensorflow/*'], 'ml/ (TensorFlow.js) is imported only by job workers (src-main/workers), bench and tests']
      )
    }
  },
  {
    // renderer unit tests exercise framework-free renderer modules (viewer geometry, forms) directly
    files: ['tests/unit/ui/**'],
    rules: {
      'no-restricted-imports': forbid([['electron', 'electron/*'], 'tests run under plain Node'], [['**/src-preload/**'], 'the preload needs Electron'])
    }
  },
  {
    files: ['tests/**', 'scripts/**', 'bin/**', '*.config.*'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', __dirname: 'readonly' } }
  },
  {
    files: ['bin/**', 'scripts/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } }
  }
)
