import { Client, Connection } from '@temporalio/client';
import type { Config } from './config.server.ts';

export function connectionOptions(config: Config) {
  return {
    address: config.TEMPORAL_ADDRESS,
    tls: config.TEMPORAL_TLS === 'true' || !!config.TEMPORAL_API_KEY ? {} : undefined,
    apiKey: config.TEMPORAL_API_KEY,
    connectTimeout: '3s' as const,
  };
}

/**
 * A lazily connected Temporal client. A failed attempt is forgotten so the next call retries:
 * the web server keeps serving while Temporal is down and recovers when it comes back.
 */
export function lazyTemporalClient(config: Config): { get: () => Promise<Client>; close: () => Promise<void> } {
  let pending: Promise<Client> | undefined;
  let connection: Connection | undefined;
  return {
    get() {
      pending ??= Connection.connect(connectionOptions(config)).then(
        (c) => {
          connection = c;
          return new Client({ connection: c, namespace: config.TEMPORAL_NAMESPACE });
        },
        (err) => {
          pending = undefined;
          throw err;
        },
      );
      return pending;
    },
    async close() {
      await connection?.close();
    },
  };
}
