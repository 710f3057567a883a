import { join, resolve } from 'node:path';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const CONFIG_DIR = join(REPO_ROOT, 'config');
