// Whether the VM Operator binaries (the manager and our vCenter simulator launcher) are in the
// binary cache, found without building them: with both, the demo runs VM Operator mode by default.
import { existsSync } from 'node:fs';
import { findRecipe } from '../binaries/build-plan.ts';
import { cachedBinaryPath, recipeVersion } from '../binaries/ensure.ts';
import { loadVersions } from '../binaries/versions.ts';
import type { ModeChoice } from './vsphere-times.ts';

export const VM_OPERATOR_BINARIES = ['vm-operator', 'vmop-vcsim'];

/** The VM Operator binaries not built yet (empty when both are in the cache). */
export function missingVmOperatorBinaries(env: NodeJS.ProcessEnv = process.env): string[] {
  const recipes = loadVersions().binaries;
  return VM_OPERATOR_BINARIES.filter((name) => {
    const found = findRecipe(recipes, name);
    return !found || !existsSync(cachedBinaryPath(env, name, recipeVersion(found.recipe)));
  });
}

const HOW = '`node scripts/binaries/ensure.ts vm-operator` (needs Go, ~4 min once)';

/** The one line the demo's summary prints about power-on times in vSphere: what this run showed, and how to see more. */
export function vsphereLine(mode: ModeChoice, env: NodeJS.ProcessEnv = process.env): string {
  if (mode.mode === 'vm-operator')
    return "power-on times in vSphere: above, as vCenter (govmomi's simulator) recorded them for the VMs the real VM Operator v1.10.0 created and powered on; npm run test:vm-operator restores more group trees on the same plane";
  const missing = missingVmOperatorBinaries(env);
  return missing.length === 0
    ? `power-on times in vSphere: not shown (${mode.why}); the VM Operator binaries are built, so \`npm run demo\` alone runs the real VM Operator on a vCenter simulator and prints them (so does npm run test:vm-operator)`
    : `power-on times in vSphere: not shown, no VM Operator ran; build ${missing.join(' and ')} with ${HOW}, then \`npm run demo\` runs the real VM Operator on a vCenter simulator and prints them (so does npm run test:vm-operator)`;
}
