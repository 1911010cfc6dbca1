/** The repository root, from the TypeScript source (src/) and from the compiled code (dist/src/) alike. */
import path from 'node:path';

export const ROOT = path.resolve(__dirname, __filename.endsWith('.ts') ? '..' : '../..');
