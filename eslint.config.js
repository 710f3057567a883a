// One lint config for the whole tree; function size is capped so handlers stay small.
import tseslint from 'typescript-eslint';

// The walls (CONTRIBUTING.md), tests included: a function imports only the runtime and the
// domains (vmgroup, velero), never another function; a domain imports no function and not the
// CLI; the runtime imports no function, no domain, not the CLI and not main's wiring (main passes
// in what it needs: event source, type prefix, labels). Shared test support lives in test/harness
// or in a domain's test/ folder.
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
  ...['vmgroup', 'velero'].map((domain) => ({
    files: [`functions/${domain}/**`],
    rules: forbid(
      [...FUNCTIONS, 'cli', 'registry.ts'],
      'a domain imports no function and not the CLI',
    ),
  })),
  {
    files: ['functions/runtime/**'],
    rules: forbid(
      [...FUNCTIONS, 'vmgroup', 'velero', 'cli', 'registry.ts', 'product.ts'],
      'functions/runtime imports no function, no domain (vmgroup, velero), not the CLI and not main wiring: main passes what it needs',
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
