/**
 * `npm run dev:worker`: the production worker (src/worker.ts) from source, with the offline stand-in model as its
 * model when ANTHROPIC_API_KEY is not set (a real Lark app only with LLM_ALLOW_OFFLINE=true: checkModel).
 */
import { runWorker } from '../src/worker';
import { offlineModel } from './llm/stand-in';

runWorker({ offlineModel }).catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
