import { openStore } from "./open-store.js";
import { metricStoreCases } from "./metric-store-suite.test-support.js";

metricStoreCases({
  name: "SQLite in memory",
  fresh: async (options) => ({ store: await openStore("sqlite::memory:", options), reopen: null }),
});
