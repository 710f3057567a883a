// The resource-modifier ConfigMap through Velero's own code: the pinned Velero module (from
// scripts/binaries/versions.json) is copied from the Go module cache into a temporary folder, a
// Go test is added next to internal/resourcemodifiers (internal packages cannot be imported from
// outside the module), and it loads config/base/velero-resource-modifiers exactly as Velero does
// (GetResourceModifiersFromConfig, Validate) and applies it to the same objects the TypeScript
// emulation in velero-modifiers.ts was given. Both must agree, which is what lets every other
// test rely on the emulation. Needs Go (the project builds its test binaries with it anyway);
// the first run compiles for a few minutes, later runs hit Go's build cache.

import assert from 'node:assert/strict';
import { chmodSync, cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findGo, moduleDir, runGo } from '../../../scripts/binaries/go-toolchain.ts';
import { pinnedModule } from '../../../scripts/binaries/versions.ts';
import { asKube, vm } from '../../vmgroup/test/builders.ts';
import { dirtyPvc, dirtyVm, dirtyVmg } from './dirty-objects.ts';
import { VARIANT_PATHS } from './variant-paths.ts';
import {
  applyModifiers,
  CONFIGMAP_PATH,
  groupResourceOf,
  modifierDocument,
  readConfigMap,
} from '../../velero/test/velero-modifiers.ts';

const GO_TEST = `package resourcemodifiers

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/sirupsen/logrus"
	corev1api "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

type vmgroupCase struct {
	Name     string         \`json:"name"\`
	GR       string         \`json:"gr"\`
	Input    map[string]any \`json:"input"\`
	Expected map[string]any \`json:"expected"\`
}

func TestVmgroupBackupConfigMap(t *testing.T) {
	raw, err := os.ReadFile(os.Getenv("VMGROUP_CONFIGMAP"))
	if err != nil {
		t.Fatal(err)
	}
	cm := &corev1api.ConfigMap{}
	if err := yaml.Unmarshal(raw, cm); err != nil {
		t.Fatal(err)
	}
	mods, err := GetResourceModifiersFromConfig(cm)
	if err != nil {
		t.Fatal(err)
	}
	if err := mods.Validate(); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(os.Getenv("VMGROUP_CASES"))
	if err != nil {
		t.Fatal(err)
	}
	var cases []vmgroupCase
	if err := json.Unmarshal(data, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		obj := &unstructured.Unstructured{Object: c.Input}
		if errs := mods.ApplyResourceModifierRules(obj, c.GR, nil, logrus.New()); len(errs) > 0 {
			t.Errorf("%s: %v", c.Name, errs)
			continue
		}
		got, _ := json.Marshal(obj.Object)
		want, _ := json.Marshal(c.Expected)
		var g, w any
		_ = json.Unmarshal(got, &g)
		_ = json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s:\\n got  %s\\n want %s", c.Name, got, want)
		}
	}
}
`;

const VMS = groupResourceOf('vmoperator.vmware.com/v1alpha5', 'virtualmachines');
const VMGS = groupResourceOf('vmoperator.vmware.com/v1alpha5', 'virtualmachinegroups');

function cases(
  configMap: URL,
): Array<{ name: string; gr: string; input: unknown; expected: unknown }> {
  const doc = modifierDocument(readConfigMap(configMap));
  const unset = asKube(vm('unset'));
  delete (unset.spec as Record<string, unknown>).powerState;
  const inputs: Array<[string, ReturnType<typeof asKube>, string]> = [
    [
      'vm powered on, every key to strip',
      dirtyVm('web-1', { powerState: 'PoweredOn', groupName: 'app' }),
      VMS,
    ],
    ['vm powered off', dirtyVm('web-2', { powerState: 'PoweredOff' }), VMS],
    ['vm suspended', dirtyVm('web-3', { powerState: 'Suspended' }), VMS],
    [
      'vm in a zone, naming its image both ways',
      dirtyVm('web-4', {
        labels: { 'topology.kubernetes.io/zone': 'zone-a' },
        spec: { image: { kind: 'VirtualMachineImage', name: 'vmi-0a1b2c' }, imageName: 'ubuntu' },
      }),
      VMS,
    ],
    ['clean vm without a power state', unset, VMS],
    ['group powered on', dirtyVmg('app', ['web-1'], 'PoweredOn'), VMGS],
    ['group without a power state', dirtyVmg('app2', ['a']), VMGS],
    ['pvc', dirtyPvc('disk'), 'persistentvolumeclaims'],
    [
      'secret',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'apps' } },
      'secrets',
    ],
  ];
  return inputs.map(([name, input, gr]) => ({
    name,
    gr,
    input,
    expected: applyModifiers(doc, input, gr),
  }));
}

describe('velero resource-modifier ConfigMap, applied by Velero itself', function () {
  this.timeout(20 * 60_000);
  let work: string | undefined;

  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('loads, validates and produces exactly what the emulation produces (default and variants)', async () => {
    const env = process.env;
    const go = findGo(env);
    assert.ok(go, 'Go is needed (set GO or put go on PATH), as for the test binaries');
    const recipe = pinnedModule('velero');
    const source = await moduleDir(go, recipe.module, recipe.version, env);
    work = mkdtempSync(join(tmpdir(), 'vvf-velero-modifiers-'));
    const mod = join(work, 'velero');
    cpSync(source, mod, { recursive: true });
    // Module-cache files are read-only; only these two places are written.
    chmodSync(mod, 0o755);
    chmodSync(join(mod, 'go.mod'), 0o644);
    chmodSync(join(mod, 'go.sum'), 0o644);
    chmodSync(join(mod, 'internal/resourcemodifiers'), 0o755);
    writeFileSync(join(mod, 'internal/resourcemodifiers/zz_vmgroup_backup_test.go'), GO_TEST);
    const options = { go, cwd: mod, env };
    // The same module adjustments the Velero binary build makes (scripts/binaries/versions.json).
    for (const req of recipe.extraRequires ?? [])
      await runGo(['mod', 'edit', '-require', req.replace(' ', '@')], options);
    // One run per ConfigMap; the test binary is built once and cached by Go.
    for (const [i, configMap] of [CONFIGMAP_PATH, ...Object.values(VARIANT_PATHS)].entries()) {
      const file = join(work, `cases-${i}.json`);
      writeFileSync(file, JSON.stringify(cases(configMap)));
      const out = await runGo(
        ['test', '-count=1', '-run', 'TestVmgroupBackupConfigMap', './internal/resourcemodifiers/'],
        {
          ...options,
          env: { ...env, VMGROUP_CONFIGMAP: fileURLToPath(configMap), VMGROUP_CASES: file },
        },
      );
      assert.match(out, /^ok\s/m, fileURLToPath(configMap));
    }
  });
});
