// The metric and policy store conformance cases on PostgreSQL, each store in a schema of its own.
import { postgresTestSchemas } from "../test-support/postgres-test-schemas.js";
import { openStore } from "./open-store.js";
import { metricStoreCases } from "./metric-store-suite.test-support.js";

const { url, skip, newSchema } = postgresTestSchemas("metric store tests");

metricStoreCases({
  name: "PostgreSQL",
  skip,
  concurrentWriters: true,
  fresh: async (options) => {
    const schema = newSchema();
    const open = () => openStore(url, { ...options, schema });
    return { store: await open(), reopen: open };
  },
});
