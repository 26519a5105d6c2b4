/** Floor for orchestration cost: a plain workflow running six no-op activities in sequence. */
import { proxyActivities } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(step: number): Promise<number> }>({ startToCloseTimeout: '1 minute' });

export async function plainSixSteps(): Promise<number> {
  let total = 0;
  for (let i = 0; i < 6; i++) total += await noop(i);
  return total;
}
