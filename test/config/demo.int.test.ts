// The README's main command, `npm run demo`, run as a newcomer runs it: it must finish on its own,
// end with every check of its summary holding, exit 0, and leave no process or folder behind.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './paths.ts';
import { runDemo } from './demo-run.ts';

describe('npm run demo', function () {
  this.timeout(360_000);

  it('--help explains itself and exits 0', async () => {
    const { code, out } = await runDemo(['--help'], 30_000);
    assert.equal(code, 0);
    assert.match(out, /--keep/);
    assert.match(out, /--vm-operator/);
    assert.match(out, /--plain/);
    assert.match(out, /node scripts\/binaries\/ensure\.ts vm-operator/);
  });

  // --plain: once the VM Operator binaries are built, the demo runs VM Operator mode by default
  // (heavier, run by hand: `npm run demo -- --vm-operator`); this test keeps the plain one green.
  it('runs the main job end to end (plain mode), ends with a correct summary and exit 0, and cleans up', async () => {
    const { code, out, ms } = await runDemo(['--plain'], 300_000);
    assert.equal(code, 0, out);
    assert.match(out, /All \d+ checks hold/);
    assert.doesNotMatch(out, /FAIL/);
    // The summary's facts, in plain words.
    assert.match(
      out,
      /velero backup create shop-backup --include-namespaces shop --selector member\.vmgroup-backup\.dev\/shop/,
    );
    // The README's tour has the reader type the backup command the demo prints.
    const backupCommand = /\] +backup: (velero backup create [^\n]*)/.exec(out)?.[1];
    assert.ok(backupCommand, 'the summary names the backup command');
    assert.ok(
      readFileSync(join(REPO_ROOT, 'README.md'), 'utf8').includes(backupCommand),
      `README.md lacks the demo's ${backupCommand}`,
    );
    assert.match(
      out,
      /\+0\.0s {2}VirtualMachine db → PoweredOn[\s\S]*VirtualMachine web-1 → PoweredOn[\s\S]*VirtualMachine web-2 → PoweredOn/,
    );
    // The gated stage: the web tier waits for db's address (issue 16.3), and the output says so.
    assert.match(
      out,
      /Event on Restore shop-restore: VMGroupRestoreGateWaiting[\s\S]*db reports IP address[\s\S]*Event on Restore shop-restore: VMGroupRestoreGatePassed[\s\S]*VirtualMachine web-1 powered on/,
    );
    assert.match(out, /VirtualMachineService shop-web/);
    // One line on vSphere's power-on times: how to get them, whether or not the binaries are built.
    assert.match(out, /plain mode: --plain/);
    assert.match(
      out,
      /power-on times in vSphere: not shown.*npm run demo.*npm run test:vm-operator/,
    );
    const plane = /dir (\/tmp\/vvf-plane-\w+)/.exec(out)?.[1];
    assert.ok(plane && !existsSync(plane), `control plane folder ${plane} left behind`);
    process.stdout.write(`      (demo took ${(ms / 1000).toFixed(0)}s)\n`);
  });
});
