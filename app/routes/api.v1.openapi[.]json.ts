import { api, json } from '../lib/api.server.ts';
import { apiDocument } from '../lib/openapi/operations.server.ts';

/**
 * GET /api/v1/openapi.json: the OpenAPI 3.1 document of /api/v1, generated from the routes' own zod
 * schemas (app/lib/openapi). Public on purpose: it is documentation and holds no data, so an integrator
 * can read it before they have a key. Described in app/lib/openapi/operations.server.ts (SELF).
 */
export const loader = () => api(async () => json(apiDocument(), 200, { 'Cache-Control': 'public, max-age=300' }));
