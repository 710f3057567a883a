// node:http and node:https loaded with require(), not import. Importing node:http as an ES
// module makes Node build its ESM facade, which reads every export, including the lazy
// WebSocket/MessageEvent getters that load the bundled undici: ~20-40 ms of CPU at every start
// for nothing (measured with process.moduleLoadList and --cpu-prof). require() reads nothing.

import { createRequire } from 'node:module';
import type * as HttpModule from 'node:http';
import type * as HttpsModule from 'node:https';

const require = createRequire(import.meta.url);

export const http = require('node:http') as typeof HttpModule;
export const https = require('node:https') as typeof HttpsModule;
