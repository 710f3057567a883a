// Whether the VM Operator binaries (the manager and our vCenter simulator launcher) are in the
// binary cache, found without building them: the demo only says how to see vSphere power-on times.
import { existsSync } from 'node:fs';
import { findRecipe } from '../binaries/build-plan.ts';
import { cachedBinaryPath, recipeVersion } from '../binaries/ensure.ts';
import { loadVersions } from '../binaries/versions.ts';

export const VM_OPERATOR_BINARIES = ['vm-operator', 'vmop-vcsim'];

/** The VM Operator binaries not built yet (empty when both are in the cache). */
export function missingVmOperatorBinaries(env: NodeJS.ProcessEnv = process.env): string[] {
  const recipes = loadVersions().binaries;
  return VM_OPERATOR_BINARIES.filter((name) => {
    const found = findRecipe(recipes, name);
    return !found || !existsSync(cachedBinaryPath(env, name, recipeVersion(found.recipe)));
  });
}

/** The one line the demo prints about power-on times in vSphere (issue 14 item 4, not done yet). */
export function vsphereLine(env: NodeJS.ProcessEnv = process.env): string {
  const missing = missingVmOperatorBinaries(env);
  const suite =
    'npm run test:vm-operator runs the real VM Operator on a vCenter simulator and prints when vCenter powered each restored VM on';
  return missing.length === 0
    ? `power-on times in vSphere: the VM Operator binaries are built; ${suite} (this demo does not run it yet)`
    : `power-on times in vSphere: build ${missing.join(' and ')} with \`node scripts/binaries/ensure.ts vm-operator\` (needs Go, ~4 min), then ${suite}`;
}
