/** What bench/lib/memory-probe.mjs answers: process RSS and every thread's heap, after GC. */
export interface ThreadHeap {
  threadId: number;
  heapUsed: number;
  heapTotal: number;
}

export interface MemoryReport {
  type: 'memory';
  rss: number;
  /** Main thread + every worker thread. */
  heapUsed: number;
  threads: ThreadHeap[];
}
