// `npm run demo -- --vm-operator` end to end: the demo on the real VM Operator v1.10.0 and govmomi's
// vCenter simulator must finish on its own, every check of its summary holding (vSphere power-ons
// included), exit 0 and clean up. Heavy (VM Operator plane, ~1–2 min), so it runs with the VM
// Operator suite (`npm run test:vm-operator`, which builds the binaries), not in `npm test`; alone:
// `npx mocha test/config/demo.vmop.ts` (skipped while the binaries are not built). No timing is
// asserted: VM Operator's lag from release to vSphere power-on varies with load.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { missingVmOperatorBinaries } from '../../scripts/demo/vsphere.ts';
import { runDemo } from './demo-run.ts';

describe('npm run demo -- --vm-operator', function () {
  this.timeout(20 * 60_000);

  before(function () {
    if (missingVmOperatorBinaries().length > 0) this.skip();
  });

  it('runs on the real VM Operator: nothing simulated, vCenter powers the VMs on, every check holds', async () => {
    const { code, out, ms } = await runDemo(['--vm-operator'], 15 * 60_000);
    assert.equal(code, 0, out);
    assert.match(out, /All \d+ checks hold/);
    assert.doesNotMatch(out, /FAIL/);
    assert.match(out, /mode: the real VM Operator v1\.10\.0 on govmomi's vCenter simulator/);
    // Nothing stands in for VM Operator: no simulated boot, no IP address written.
    assert.doesNotMatch(out, /\(as VM Operator would\)/);
    assert.match(out, /readiness-gate=powered-on/);
    // What VM Operator's mutating webhook sets on create (instance and BIOS UUID, the class) is not
    // mistaken for what the strip missed.
    assert.doesNotMatch(out, /VMGroupRestoreStripIncomplete/);
    // Per VM: the sequencer's release and vCenter's power-on; web-canary never on.
    for (const vm of ['db', 'web-1', 'web-2'])
      assert.match(
        out,
        new RegExp(`\\n +${vm} +released \\+[\\d.]+s +vSphere on \\+[\\d.]+s \\(vm-\\d+, `),
      );
    assert.match(out, /web-canary +kept off +vSphere: vm-\d+ never powered on/);
    assert.match(out, /figure: restore start → last VM powered on in vSphere [\d.]+s/);
    assert.match(out, /ok {4}the gated stage \(web-1, web-2\) came on in vSphere after db/);
    assert.match(out, /power-on times in vSphere: above, as vCenter/);
    const plane = /dir (\/tmp\/vvf-plane-\w+)/.exec(out)?.[1];
    assert.ok(plane && !existsSync(plane), `control plane folder ${plane} left behind`);
    process.stdout.write(`      (demo took ${(ms / 1000).toFixed(0)}s)\n`);
  });
});
