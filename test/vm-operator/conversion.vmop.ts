// CRD conversion through VM Operator's own conversion webhook (/convert): the plane points the
// multi-version vmoperator.vmware.com CRDs at it, so reading a v1alpha5 object at an older
// version is VM Operator's conversion code, not a relabel. (v1.10.0 has no v1alpha6: its hub
// is v1alpha5; the relabelled v1alpha6 stays a plain-plane device.)
import assert from 'node:assert/strict';
import { getJson, rawRequest } from '../harness/cluster-api.ts';
import { IMAGE_NAME, STORAGE_CLASS, VM_CLASS } from '../harness/vm-operator.ts';
import { vmOperatorPlane } from './plane.ts';

describe('VM Operator v1.10.0 conversion webhook', function () {
  it('serves a v1alpha5 VirtualMachine at v1alpha1 and v1alpha4, converted by VM Operator', async function () {
    const plane = await vmOperatorPlane();
    const ns = await plane.newNamespace('conversion');
    await plane.prepareNamespace(ns);
    const kc = plane.kubeConfig();
    const crd = (
      await getJson(
        kc,
        '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/virtualmachines.vmoperator.vmware.com',
      )
    ).body as {
      spec: { conversion: { strategy: string; webhook?: { clientConfig?: { url?: string } } } };
    };
    assert.equal(crd.spec.conversion.strategy, 'Webhook');
    assert.equal(crd.spec.conversion.webhook?.clientConfig?.url, `${plane.webhookUrl}/convert`);
    const vm = {
      apiVersion: 'vmoperator.vmware.com/v1alpha5',
      kind: 'VirtualMachine',
      metadata: { name: 'converted', namespace: ns },
      spec: {
        className: VM_CLASS,
        imageName: IMAGE_NAME,
        storageClass: STORAGE_CLASS,
        powerState: 'PoweredOff',
      },
    };
    const created = await rawRequest(
      kc,
      'POST',
      `/apis/vmoperator.vmware.com/v1alpha5/namespaces/${ns}/virtualmachines`,
      {
        body: JSON.stringify(vm),
        contentType: 'application/json',
      },
    );
    assert.equal(created.status, 201, created.text);
    // v1alpha1 names the power state differently ("poweredOff"): only conversion code knows that.
    const old = await getJson(
      kc,
      `/apis/vmoperator.vmware.com/v1alpha1/namespaces/${ns}/virtualmachines/converted`,
    );
    assert.equal(old.status, 200);
    const oldSpec = old.body as { apiVersion: string; spec: Record<string, unknown> };
    assert.equal(oldSpec.apiVersion, 'vmoperator.vmware.com/v1alpha1');
    assert.equal(oldSpec.spec['powerState'], 'poweredOff');
    assert.equal(oldSpec.spec['className'], VM_CLASS);
    const v4 = await getJson(
      kc,
      `/apis/vmoperator.vmware.com/v1alpha4/namespaces/${ns}/virtualmachines/converted`,
    );
    assert.equal((v4.body as { spec: Record<string, unknown> }).spec['powerState'], 'PoweredOff');
  });
});
