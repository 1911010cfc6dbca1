/** A logger that says nothing (bundler, worker, mock activity context): expected failures would otherwise print. */
export const silentLogger = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, log() {} };
