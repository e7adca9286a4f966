// Per-API-key rate limit: rate-limiter-flexible over PostgreSQL, so that every web node counts into the
// same window. A fixed one-minute window per key; a refused request is answered 429 with Retry-After and
// the RateLimit-* fields, and writes nothing.
import pg from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { problem } from './problem.ts';

export interface ApiRateLimiter {
  /** Counts one request of `keyId`; throws the 429 answer when the key is over its limit. */
  consume(keyId: number): Promise<void>;
  close(): Promise<void>;
}

const WINDOW_SECONDS = 60;

export function createApiRateLimiter(databaseUrl: string, perMinute: number): ApiRateLimiter | null {
  if (perMinute <= 0) return null;
  // Its own two connections: a limiter check never waits behind the request pool it protects.
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  pool.on('error', () => {
    /* a dropped idle connection is replaced on next use */
  });
  const limiter = new RateLimiterPostgres({
    storeClient: pool,
    storeType: 'pool',
    tableName: 'rate_limit',
    tableCreated: true, // by the migration (UNLOGGED)
    keyPrefix: 'api',
    points: perMinute,
    duration: WINDOW_SECONDS,
  });
  return {
    async consume(keyId) {
      try {
        await limiter.consume(String(keyId));
      } catch (e) {
        if (!(e instanceof RateLimiterRes)) throw e; // the store failed: an outage, answered 503 upstream
        const retryAfter = Math.max(1, Math.ceil(e.msBeforeNext / 1000));
        throw problem(
          429,
          'rate_limited',
          { detail: `This API key may make ${perMinute} requests a minute; retry in ${retryAfter} s.`, params: { seconds: retryAfter } },
          {
            'Retry-After': String(retryAfter),
            'RateLimit-Limit': String(perMinute),
            'RateLimit-Remaining': '0',
            'RateLimit-Reset': String(retryAfter),
          },
        );
      }
    },
    close: () => pool.end(),
  };
}
