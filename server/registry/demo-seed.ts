import type { BeneficiaryInput } from './beneficiary-rows.ts';
import type { RegistryAdmin } from './registry-admin.ts';

/** The demo registry of the brief: one family sharing a mobile, one single-dose adult. 9000000000 is unregistered. */
export const DEMO_BENEFICIARIES: readonly BeneficiaryInput[] = [
  { id: 'DEMO-ASHA', mobile: '9876543210', name: 'Asha Verma', vaccine: 'COVISHIELD', doses: 2, lastDoseDate: '2021-09-14' },
  { id: 'DEMO-RAVI', mobile: '9876543210', name: 'Ravi Verma', vaccine: 'COVAXIN', doses: 1, lastDoseDate: '2021-11-02' },
  { id: 'DEMO-MEERA', mobile: '9876543210', name: 'Meera Verma', vaccine: null, doses: 0, lastDoseDate: null },
  { id: 'DEMO-ARJUN', mobile: '9123456780', name: 'Arjun Singh', vaccine: 'JANSSEN', doses: 1, lastDoseDate: '2022-01-20' },
];

export async function seedDemoRegistry(registry: RegistryAdmin): Promise<void> {
  if ((await registry.count()) > 0) return;
  await registry.upsertBatch(DEMO_BENEFICIARIES);
}
