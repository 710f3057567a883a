// One lint config for the whole tree; function size is capped so handlers stay small.
import tseslint from 'typescript-eslint';

// The walls (CONTRIBUTING.md): a function imports only the runtime and the domains (vmgroup,
// velero), never another function, tests included; the runtime imports no function and no Velero
// domain code. Shared test support lives in test/harness or in a domain's test/ folder.
const FUNCTIONS = [
  'backup-guard',
  'backup-labeler',
  'backup-verifier',
  'datamover-progress',
  'restore-fixer',
  'restore-sequencer',
];
const forbid = (names, why) => ({
  'no-restricted-imports': [
    'error',
    { patterns: [{ group: names.flatMap((n) => [`**/${n}/**`, `**/${n}`]), message: why }] },
  ],
});
const walls = [
  ...FUNCTIONS.map((fn) => ({
    files: [`functions/${fn}/**`],
    rules: forbid(
      FUNCTIONS.filter((other) => other !== fn),
      'a function imports only functions/runtime and the domains (functions/vmgroup, functions/velero)',
    ),
  })),
  {
    files: ['functions/runtime/**'],
    rules: forbid(
      [...FUNCTIONS, 'velero', 'cli'],
      'functions/runtime imports no function, no Velero domain and not the CLI',
    ),
  },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', '.tmp/**', 'schemas/generated/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      'max-lines-per-function': ['warn', { max: 80, skipBlankLines: true, skipComments: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/*.test.ts', 'test/**', 'bench/**'],
    rules: { 'max-lines-per-function': 'off' },
  },
  ...walls,
);
