// The suite's one VM Operator plane (started by the first caller, stopped after all tests).
import { startVmOperatorPlane } from '../harness/vm-operator.ts';
import type { VmOperatorPlane } from '../harness/vm-operator.ts';

let shared: Promise<VmOperatorPlane> | undefined;

export function vmOperatorPlane(): Promise<VmOperatorPlane> {
  shared ??= startVmOperatorPlane();
  return shared;
}

export async function stopVmOperatorPlane(): Promise<void> {
  const plane = await shared?.catch(() => undefined);
  await plane?.stop();
}

after(stopVmOperatorPlane);
