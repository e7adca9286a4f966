// Where the shared test infrastructure lives; set by scripts/test.ts or by the vitest global setup.
export const testEnv = {
  /** Connection URL of the test server's maintenance database (`postgres`). */
  get adminUrl() {
    return required('OMS_TEST_PG_ADMIN_URL');
  },
  get templateDb() {
    return process.env.OMS_TEST_TEMPLATE_DB ?? 'oms_template';
  },
  get temporalAddress() {
    return required('TEMPORAL_ADDRESS');
  },
};

function required(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the tests through \`npm test\` or vitest (its global setup sets it).`);
  return v;
}

export function urlForDatabase(adminUrl: string, database: string): string {
  const u = new URL(adminUrl);
  u.pathname = `/${database}`;
  return u.toString();
}
