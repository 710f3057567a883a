import assert from 'node:assert/strict';
import type { FilterSpec } from '../../velero/resource-filter.ts';
import type { RestoreSource } from '../plan.ts';
import { closureComplete, decide, summarize } from '../plan.ts';
import { namespaceIncluded } from '../../velero/resource-filter.ts';
import { classifySelection, selectorMatches } from '../../velero/label-selection.ts';
import { defaultRestrictedData, parseRestrictedList } from '../restricted-list.ts';

const restricted = parseRestrictedList(defaultRestrictedData()).entries;
const membership = { matchLabels: { 'member.vmgroup-backup.dev/app': 'VirtualMachineGroup' } };
const resources = (spec: FilterSpec, kind: 'Backup' | 'Restore' = 'Backup') =>
  decide(spec, kind, restricted).findings.map((f) => `${f.resource}:${f.reason}`);

describe('backup-guard plan', () => {
  describe('restricted list', () => {
    it('ships the 58 resources of the issue, scoped where known', () => {
      const data = defaultRestrictedData();
      assert.equal(Object.keys(data).length, 58);
      assert.equal(data['clusterissuers.cert-manager.io'], 'Cluster');
      assert.equal(data['virtualmachines.vmoperator.vmware.com'], 'Namespaced');
      assert.equal(data['agentinstalls.installers.tmc.cloud.vmware.com'], 'true');
    });
    it('reads the plugin format (true/false), scopes, and reports unreadable values', () => {
      const { entries, problems } = parseRestrictedList({
        'a.x': 'true',
        'b.x': 'false',
        'c.x': 'Cluster',
        'd.x': 'yes',
      });
      assert.deepEqual(
        entries.map((e) => [e.resource, e.scopes.join('+')]),
        [
          ['a.x', 'Namespaced+Cluster'],
          ['c.x', 'Cluster'],
          ['d.x', 'Namespaced+Cluster'],
        ],
      );
      assert.equal(problems.length, 1);
      assert.match(problems[0] as string, /d\.x/);
    });
  });

  describe('label selection', () => {
    const cases: Array<[string, FilterSpec, string]> = [
      ['none', {}, 'everything'],
      ['empty selector', { labelSelector: {} }, 'everything'],
      ['membership label', { labelSelector: membership }, 'membership'],
      [
        'membership Exists',
        {
          labelSelector: {
            matchExpressions: [{ key: 'member.vmgroup-backup.dev/a', operator: 'Exists' }],
          },
        },
        'membership',
      ],
      [
        'membership DoesNotExist is not a selection by membership',
        {
          labelSelector: {
            matchExpressions: [{ key: 'member.vmgroup-backup.dev/a', operator: 'DoesNotExist' }],
          },
        },
        'other',
      ],
      ['other label', { labelSelector: { matchLabels: { app: 'x' } } }, 'other'],
      [
        'all or-selectors by membership',
        {
          orLabelSelectors: [
            membership,
            { matchLabels: { 'member.vmgroup-backup.dev/b': 'VirtualMachineGroup' } },
          ],
        },
        'membership',
      ],
      [
        'one or-selector not by membership',
        { orLabelSelectors: [membership, { matchLabels: { app: 'x' } }] },
        'other',
      ],
    ];
    for (const [name, spec, want] of cases)
      it(name, () => assert.equal(classifySelection(spec), want));

    it('matches selectors like meta/v1', () => {
      const labels = { a: '1', b: '2' };
      assert.equal(selectorMatches({ matchLabels: { a: '1' } }, labels), true);
      assert.equal(selectorMatches({ matchLabels: { a: '2' } }, labels), false);
      assert.equal(
        selectorMatches(
          { matchExpressions: [{ key: 'a', operator: 'In', values: ['1', '3'] }] },
          labels,
        ),
        true,
      );
      assert.equal(
        selectorMatches(
          { matchExpressions: [{ key: 'a', operator: 'NotIn', values: ['1'] }] },
          labels,
        ),
        false,
      );
      assert.equal(
        selectorMatches(
          { matchExpressions: [{ key: 'c', operator: 'NotIn', values: ['1'] }] },
          labels,
        ),
        true,
      );
      assert.equal(
        selectorMatches({ matchExpressions: [{ key: 'c', operator: 'Exists' }] }, labels),
        false,
      );
      assert.equal(
        selectorMatches({ matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }] }, labels),
        true,
      );
    });
  });

  describe('restricted findings', () => {
    it('the product backup (namespace + membership selector) is clean', () => {
      assert.deepEqual(resources({ includedNamespaces: ['apps'], labelSelector: membership }), []);
    });
    it('a plain namespace backup touches every namespaced restricted type, not cluster-only ones', () => {
      const found = resources({ includedNamespaces: ['apps'] });
      assert.ok(found.includes('clusters.cluster.x-k8s.io:wildcard-scope'));
      assert.ok(
        found.includes('agentinstalls.installers.tmc.cloud.vmware.com:wildcard-scope'),
        'unknown scope counts as namespaced',
      );
      assert.ok(
        !found.some((f) => f.startsWith('clusterissuers.')),
        'cluster-scoped stays out of a one-namespace backup',
      );
      // The closure comes along in a whole-namespace backup, so VMs are allowed.
      assert.ok(!found.some((f) => f.startsWith('virtualmachines.vmoperator')));
    });
    it('a full-cluster backup also touches cluster-scoped restricted types', () => {
      const found = resources({});
      assert.ok(found.includes('clusterissuers.cert-manager.io:cluster-scoped-inclusion'));
      assert.ok(
        found.includes('tanzukubernetesreleases.run.tanzu.vmware.com:cluster-scoped-inclusion'),
      );
    });
    it('explicit includedResources are reported by name', () => {
      assert.deepEqual(
        resources({ includedNamespaces: ['a'], includedResources: ['machines', 'pods'] }),
        ['machines.cluster.x-k8s.io:included-by-name'],
      );
      assert.deepEqual(
        resources({ includedNamespaces: ['a'], includedResources: ['*.cert-manager.io'] }),
        [
          'certificaterequests.cert-manager.io:included-by-name',
          'certificates.cert-manager.io:included-by-name',
          'challenges.acme.cert-manager.io:included-by-name',
          'issuers.cert-manager.io:included-by-name',
          'orders.acme.cert-manager.io:included-by-name',
        ],
      );
    });
    it('cluster-scoped inclusion by includeClusterResources=true', () => {
      const found = resources({
        includedNamespaces: ['a'],
        includeClusterResources: true,
        includedResources: ['clusterissuers', 'pods'],
      });
      assert.deepEqual(found, ['clusterissuers.cert-manager.io:included-by-name']);
    });
    it('new-style cluster-scoped include names a restricted type', () => {
      const found = resources({
        includedNamespaces: ['a'],
        includedNamespaceScopedResources: ['pods'],
        includedClusterScopedResources: ['storagepools.cns.vmware.com'],
      });
      assert.deepEqual(found, ['storagepools.cns.vmware.com:included-by-name']);
    });
    it('VMs without their closure are flagged; with it they pass', () => {
      assert.deepEqual(
        resources({ includedNamespaces: ['a'], includedResources: ['virtualmachines'] }),
        ['virtualmachines.vmoperator.vmware.com:without-group-closure'],
      );
      assert.deepEqual(
        resources({
          includedNamespaces: ['a'],
          includedResources: [
            'virtualmachines',
            'virtualmachinegroups',
            'secrets',
            'configmaps',
            'persistentvolumeclaims',
          ],
          labelSelector: membership,
        }),
        [],
      );
      assert.deepEqual(
        resources({
          includedNamespaces: ['a'],
          excludedResources: ['secrets'],
          labelSelector: membership,
        }),
        [
          'virtualmachinegroups.vmoperator.vmware.com:without-group-closure',
          'virtualmachines.vmoperator.vmware.com:without-group-closure',
        ],
      );
      assert.equal(
        closureComplete({ labelSelector: { matchLabels: { app: 'x' } } }, 'Backup'),
        false,
      );
    });
    it('an unrelated label selector still touches restricted types', () => {
      const found = resources({
        includedNamespaces: ['a'],
        labelSelector: { matchLabels: { app: 'x' } },
      });
      assert.ok(found.includes('clusters.cluster.x-k8s.io:wildcard-scope'));
      assert.ok(found.includes('virtualmachines.vmoperator.vmware.com:without-group-closure'));
    });
    it('excluding every reported resource makes the spec clean (remedies are sufficient)', () => {
      for (const spec of [
        { includedNamespaces: ['a'] },
        {},
        { includedNamespaces: ['a'], includedResources: ['machines', 'pods', '*.cert-manager.io'] },
        {
          includedNamespaces: ['a'],
          includedNamespaceScopedResources: ['*'],
          includedClusterScopedResources: ['storagepools'],
        },
      ] as FilterSpec[]) {
        const d = decide(spec, 'Backup', restricted);
        const fixed = structuredClone(spec) as Record<string, unknown>;
        for (const r of d.avoidWith) {
          const field = r.field.replace('spec.', '');
          if (r.action === 'add')
            fixed[field] = [...((fixed[field] as string[]) ?? []), ...r.values];
          if (r.action === 'remove')
            fixed[field] = ((fixed[field] as string[]) ?? []).filter((v) => !r.values.includes(v));
          if (r.action === 'select') fixed.labelSelector = membership;
        }
        assert.deepEqual(resources(fixed as FilterSpec), [], JSON.stringify(spec));
      }
    });
    it('remedies follow the filter style', () => {
      const old = decide(
        { includedNamespaces: ['a'], includedResources: ['machines', 'pods'] },
        'Backup',
        restricted,
      );
      assert.deepEqual(old.avoidWith, [
        {
          field: 'spec.includedResources',
          flag: '--include-resources',
          action: 'remove',
          values: ['machines'],
        },
      ]);
      const scoped = decide(
        {
          includedNamespaces: ['a'],
          includedNamespaceScopedResources: ['clusters.cluster.x-k8s.io', 'pods'],
        },
        'Backup',
        restricted,
      );
      assert.equal(scoped.avoidWith[0]?.flag, '--include-namespace-scoped-resources');
      const wild = decide({ includedNamespaces: ['a'] }, 'Backup', restricted);
      assert.ok(
        wild.avoidWith.some(
          (r) =>
            r.flag === '--exclude-namespace-scoped-resources' &&
            r.values.includes('clusters.cluster.x-k8s.io'),
        ),
      );
      const restore = decide({ includedNamespaces: ['a'] }, 'Restore', restricted);
      assert.ok(restore.avoidWith.every((r) => r.flag === '--exclude-resources'));
    });
  });

  describe('a Restore is judged with its Backup (scope = intersection of both)', () => {
    const closure = [
      'virtualmachines',
      'virtualmachinegroups',
      'secrets',
      'configmaps',
      'persistentvolumeclaims',
    ];
    type Row = {
      name: string;
      restore: FilterSpec;
      source: RestoreSource;
      /** Exact findings (`resource:reason`), or a check over them. */
      want: string[] | ((found: string[]) => void);
    };
    const rows: Row[] = [
      {
        name: 'the README restore (no filters) of a membership-label backup is clean',
        restore: {},
        source: { backup: { includedNamespaces: ['apps'], labelSelector: membership } },
        want: [],
      },
      {
        name: 'same with a namespace filter and orLabelSelectors on the backup',
        restore: { includedNamespaces: ['apps'] },
        source: {
          backup: {
            includedNamespaces: ['apps'],
            orLabelSelectors: [
              membership,
              { matchExpressions: [{ key: 'member.vmgroup-backup.dev/db', operator: 'Exists' }] },
            ],
          },
        },
        want: [],
      },
      {
        name: 'no restore filters on a full-namespace backup: what the backup holds is reported',
        restore: {},
        source: { backup: { includedNamespaces: ['apps'] } },
        want: (found) => {
          assert.ok(found.includes('clusters.cluster.x-k8s.io:wildcard-scope'));
          // The backup held no cluster-scoped types, so the restore cannot bring them back.
          assert.ok(!found.some((f) => f.startsWith('clusterissuers.')), found.join());
          assert.ok(!found.some((f) => f.startsWith('virtualmachines.')), 'closure is whole');
        },
      },
      {
        name: 'no restore filters on a full-cluster backup: cluster-scoped types too',
        restore: {},
        source: { backup: {} },
        want: (found) => {
          assert.ok(found.includes('clusterissuers.cert-manager.io:cluster-scoped-inclusion'));
          assert.ok(found.includes('clusters.cluster.x-k8s.io:wildcard-scope'));
        },
      },
      {
        name: 'a restore filter narrowing a wide backup to unrestricted kinds is clean',
        restore: { includedResources: ['pods', 'deployments.apps'] },
        source: { backup: {} },
        want: [],
      },
      {
        name: 'a restore membership selector narrowing a wide backup is clean',
        restore: { labelSelector: membership },
        source: { backup: { includedNamespaces: ['apps'] } },
        want: [],
      },
      {
        name: 'a restore of a backup that excluded a restricted type does not report it',
        restore: { includedResources: ['machines', 'clusters.cluster.x-k8s.io'] },
        source: { backup: { excludedNamespaceScopedResources: ['machines.cluster.x-k8s.io'] } },
        want: ['clusters.cluster.x-k8s.io:included-by-name'],
      },
      {
        name: 'a restore naming a restricted type of a membership-label backup is clean',
        restore: { includedResources: ['machines', ...closure] },
        source: { backup: { labelSelector: membership } },
        want: [],
      },
      {
        name: 'a restore cutting the closure out of a membership-label backup is flagged',
        restore: { includedResources: ['virtualmachines'] },
        source: { backup: { labelSelector: membership } },
        want: ['virtualmachines.vmoperator.vmware.com:without-group-closure'],
      },
      {
        name: 'VMs only in the restore but not in the backup: nothing to cut',
        restore: { includedResources: ['virtualmachines'] },
        source: { backup: { includedNamespaceScopedResources: ['pods'] } },
        want: [],
      },
      {
        name: 'a backup with an unrelated selector holds partial closures',
        restore: {},
        source: {
          backup: { includedNamespaces: ['apps'], labelSelector: { matchLabels: { a: 'b' } } },
        },
        want: (found) => {
          assert.ok(found.includes('virtualmachines.vmoperator.vmware.com:without-group-closure'));
          assert.ok(found.includes('clusters.cluster.x-k8s.io:wildcard-scope'));
        },
      },
      {
        name: 'backup not found: the Restore is judged alone (as before)',
        restore: {},
        source: { backupNotFound: 'gone' },
        want: (found) => {
          assert.ok(found.includes('clusters.cluster.x-k8s.io:wildcard-scope'));
          assert.ok(found.includes('clusterissuers.cert-manager.io:cluster-scoped-inclusion'));
        },
      },
    ];
    for (const row of rows) {
      it(row.name, () => {
        const found = decide(row.restore, 'Restore', restricted, [], row.source).findings.map(
          (f) => `${f.resource}:${f.reason}`,
        );
        if (typeof row.want === 'function') {
          assert.ok(found.length > 0);
          row.want(found);
        } else assert.deepEqual(found, row.want);
      });
    }
    it('judged alone, the Restore gives the same findings as with a missing Backup', () => {
      for (const row of rows) {
        assert.deepEqual(
          decide(row.restore, 'Restore', restricted, [], { backupNotFound: 'x' }).findings,
          decide(row.restore, 'Restore', restricted).findings,
        );
      }
    });
    it('a Backup is never narrowed by a source', () => {
      const spec: FilterSpec = { includedNamespaces: ['apps'] };
      assert.deepEqual(
        decide(spec, 'Backup', restricted, [], { backup: { labelSelector: membership } }),
        decide(spec, 'Backup', restricted),
      );
    });
    it('the message says when the Backup was not found, first, so the 1 KiB cap keeps it', () => {
      const alone = decide({}, 'Restore', restricted, [], { backupNotFound: 'nightly-1' });
      assert.equal(alone.backupNotFound, 'nightly-1');
      const text = summarize('Restore', alone);
      assert.match(text, /^Backup nightly-1 not found: judged by the Restore's own filters/);
      assert.ok(text.length <= 1000);
      const withBackup = decide({}, 'Restore', restricted, [], { backup: {} });
      assert.equal(withBackup.backupNotFound, undefined);
      assert.doesNotMatch(summarize('Restore', withBackup), /not found/);
    });
  });

  describe('plugin-internal objects without the exclude label', () => {
    const objects: Array<{
      resource: string;
      namespace?: string;
      name: string;
      labels: Record<string, string>;
    }> = [
      {
        resource: 'uploads.datamover.cnsdp.vmware.com',
        namespace: 'velero',
        name: 'upload-1',
        labels: {},
      },
      {
        resource: 'snapshots.backupdriver.cnsdp.vmware.com',
        namespace: 'apps',
        name: 'snap-1',
        labels: { app: 'x' },
      },
      { resource: 'backuprepositories.backupdriver.cnsdp.vmware.com', name: 'br-1', labels: {} },
    ];
    it('reports those in the backup namespace scope', () => {
      const d = decide({ includedNamespaces: ['apps'] }, 'Backup', [], objects);
      assert.deepEqual(d.unlabelledInternal, [
        { resource: 'snapshots.backupdriver.cnsdp.vmware.com', namespace: 'apps', name: 'snap-1' },
      ]);
    });
    it('a full-cluster backup reports all, including the cluster-scoped repository', () => {
      assert.equal(decide({}, 'Backup', [], objects).unlabelledInternal.length, 3);
    });
    it('respects label selection and type exclusion; restores are not checked', () => {
      assert.deepEqual(
        decide(
          { labelSelector: { matchLabels: { app: 'x' } } },
          'Backup',
          [],
          objects,
        ).unlabelledInternal.map((o) => o.name),
        ['snap-1'],
      );
      assert.deepEqual(
        decide(
          {
            excludedResources: ['snapshots.backupdriver.cnsdp.vmware.com'],
            includedNamespaces: ['apps'],
          },
          'Backup',
          [],
          objects,
        ).unlabelledInternal,
        [],
      );
      assert.deepEqual(decide({}, 'Restore', [], objects).unlabelledInternal, []);
    });
    it('namespace globs follow Velero', () => {
      assert.equal(namespaceIncluded({ includedNamespaces: ['app*'] }, 'apps'), true);
      assert.equal(
        namespaceIncluded({ includedNamespaces: ['*'], excludedNamespaces: ['velero'] }, 'velero'),
        false,
      );
      assert.equal(namespaceIncluded({}, 'x'), true);
    });
  });

  it('summarizes into one Event-sized line with the remedy', () => {
    const d = decide(
      { includedNamespaces: ['a'], includedResources: ['machines', 'pods'] },
      'Backup',
      restricted,
    );
    assert.equal(
      summarize('Backup', d),
      'Backup would touch Supervisor-restricted resources: machines.cluster.x-k8s.io (included-by-name). avoid with --include-resources (remove) machines',
    );
    assert.ok(summarize('Backup', decide({}, 'Backup', restricted)).length <= 1000);
  });
});
