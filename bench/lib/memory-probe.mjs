// Preloaded (`--import`) into a process under test started with `--expose-gc` and an IPC channel. Node
// preloads it into every worker thread too, which matters for a Temporal worker: its workflows live in a
// worker thread, so the main thread's heap alone would miss them. On {type:'memory'} from the parent it
// collects garbage in every thread, then answers with the process RSS and each thread's heap.
// Plain JavaScript: Node 20 does not apply tsx's loader to worker threads, so a .ts preload fails there.
// The report's shape is MemoryReport in ./memory-report.ts.
import { BroadcastChannel, isMainThread, threadId } from 'node:worker_threads';

const heap = () => {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { threadId, heapUsed: m.heapUsed, heapTotal: m.heapTotal };
};

const channel = new BroadcastChannel('bench-memory-probe');
channel.unref();

if (!isMainThread) {
  channel.onmessage = (e) => {
    if (e.data === 'ask') channel.postMessage(heap());
  };
} else if (process.send) {
  let collecting;
  channel.onmessage = (e) => collecting?.push(e.data);
  process.on('message', (m) => {
    if (m?.type !== 'memory') return;
    const threads = [heap()];
    collecting = threads;
    channel.postMessage('ask');
    // Threads answer within a few ms unless busy; 500 ms is plenty for an idle worker.
    setTimeout(() => {
      collecting = undefined;
      process.send?.({ type: 'memory', rss: process.memoryUsage().rss, heapUsed: threads.reduce((s, t) => s + t.heapUsed, 0), threads });
    }, 500);
  });
  // The IPC channel must not keep the process alive once its own work is done.
  process.channel?.unref();
}
