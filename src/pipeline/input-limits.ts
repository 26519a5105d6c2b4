/**
 * Bounds on a pipeline input, checked before any other validation so one request cannot
 * exhaust the API's or the worker's memory or stack (issue 13, item 6). Pure: no I/O.
 *
 * The figures leave headroom above real pipelines (pipelines/*.yaml have 6 to 12 steps and
 * are a few KiB): they exist to stop abuse, not to shape specs.
 */

export const INPUT_LIMITS = {
  /** Serialized size of the whole workflow input (inline spec and overrides included), UTF-8 bytes. */
  maxInputBytes: 256 * 1024,
  /** Nesting of objects and arrays, counting the input itself as depth 1. */
  maxDepth: 32,
  /** Steps in one spec. */
  maxSteps: 200,
  /** Entries in one step's `dependsOn`. */
  maxDependsOn: 64,
} as const;

/**
 * Problems with the input's size and nesting, or [] when it is within {@link INPUT_LIMITS}.
 * Walks iteratively (no recursion, so depth cannot overflow the stack) and stops at the first
 * limit crossed, so the cost is bounded by the limits, not by the input.
 */
export function inputShapeProblems(raw: unknown, label = 'input', limits = INPUT_LIMITS): string[] {
  // Approximate bytes as we go, to give up early on a huge input; the exact size is checked after.
  let approxBytes = 0;
  const stack: Array<{ value: unknown; depth: number }> = [{ value: raw, depth: 1 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') approxBytes += value.length + 2;
    else approxBytes += 8;
    if (approxBytes > limits.maxInputBytes) return [tooBig(label, limits)];
    if (typeof value !== 'object' || value === null) continue;
    if (depth > limits.maxDepth) {
      return [`${label}: nested more than ${limits.maxDepth} levels deep (limit maxDepth ${limits.maxDepth}); flatten the spec`];
    }
    if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
    } else {
      for (const [key, item] of Object.entries(value)) {
        approxBytes += key.length + 3;
        stack.push({ value: item, depth: depth + 1 });
      }
    }
  }
  // Depth is bounded now, so stringify cannot overflow the stack.
  const bytes = Buffer.byteLength(JSON.stringify(raw) ?? '', 'utf8');
  return bytes > limits.maxInputBytes ? [tooBig(label, limits, bytes)] : [];
}

function tooBig(label: string, limits: typeof INPUT_LIMITS, bytes?: number): string {
  const size = bytes === undefined ? 'larger than' : `${bytes} bytes, over`;
  return `${label}: ${size} the limit of ${limits.maxInputBytes} bytes (maxInputBytes); name a pipeline file instead of sending a large inline spec`;
}
