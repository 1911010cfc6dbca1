/**
 * `npm run build` step 2: bundles the compiled workflows (dist/workflows/) into dist/workflow-bundle.js, which
 * a compiled worker loads with `workflowBundle: { codePath }` (src/temporal/worker.ts) instead of running
 * webpack at every start.
 */
import { writeFile } from 'node:fs/promises';
import { bundleWorkflowCode } from '@temporalio/worker';
import { PREBUILT_BUNDLE_PATH, WORKFLOWS_PATH } from './worker';

async function main() {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    // webpack's module listing is noise; warnings and errors still show.
    logger: { trace: quiet, debug: quiet, info: quiet, log: quiet, warn: (m, a) => console.warn(m, a ?? ''), error: (m, a) => console.error(m, a ?? '') },
  });
  await writeFile(PREBUILT_BUNDLE_PATH, code);
  console.log(`wrote ${PREBUILT_BUNDLE_PATH} (${Math.round(code.length / 1024)} KB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
