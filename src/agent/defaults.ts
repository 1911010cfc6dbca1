/** Defaults shared by config (process side) and workflow code; no imports so both can use it. */
export const DEFAULT_TIME_ZONE = 'Asia/Ho_Chi_Minh';
