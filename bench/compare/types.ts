/** What a worker measures in one phase (produce or consume of the whole workload) and prints as JSON. */
export interface PhaseResult {
  records: number;
  /** Payload bytes (values only: every peer stores the same 100-byte values). */
  bytes: number;
  elapsedMs: number;
  /** Produce only, in ms; `latencyOf` says what one sample is. */
  p50Ms?: number;
  p99Ms?: number;
  latencyOf?: string;
  /** CPU seconds of the client process (user + system) over the phase. */
  clientCpuSeconds: number;
}

/** The workload, the same for every peer. */
export interface Workload {
  records: number;
  recordSize: number;
  port: number;
}

/** CPU seconds this process has used, user + system. */
export function ownCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
