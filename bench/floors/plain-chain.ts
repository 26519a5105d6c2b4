/** Floor for the load benchmark: a plain workflow running `activities` no-op activities in sequence, each handed the previous one's answer. */
import { proxyActivities } from '@temporalio/workflow';

const { pass } = proxyActivities<{ pass(input: Record<string, string>): Promise<Record<string, string>> }>({ startToCloseTimeout: '1 minute' });

export async function plainChain(activities: number): Promise<Record<string, string>> {
  let refs: Record<string, string> = {};
  for (let i = 0; i < activities; i++) refs = await pass(refs);
  return refs;
}
