/** `phantom serve`: run the API until SIGINT or SIGTERM. */
import type { Command } from "commander";
import { createLogger } from "../observability/logger.js";
import { demoBanner, ensureDemoUser } from "../app/demo.js";
import { configFrom, withStateOptions, type StateOptions } from "./shared-options.js";

/** Adds `serve` to the program. */
export function registerServe(program: Command): void {
  withStateOptions(program.command("serve").description("serve the AWS Auto Scaling API"))
    .option("--listen <host:port>", "address to listen on (env PHANTOM_LISTEN; default 127.0.0.1:8445)")
    .action(async (options: StateOptions & { listen?: string }) => {
      const { config, demo } = configFrom(options);
      const logger = createLogger();
      // Loaded here, not at the top: the other commands need none of the server, the
      // controller or the cloud SDKs, and start much faster without them.
      const { startPhantom } = await import("../app/start-phantom.js");
      const phantom = await startPhantom(config, { logger, masterKey: process.env.PHANTOM_MASTER_KEY });
      logger.info({ url: phantom.url, dashboard: `${phantom.url}/ui/`, db: config.db.replace(/\/\/[^@/]*@/, "//…@"), sites: config.sites.map((s) => s.name) }, "serving");
      if (demo) process.stdout.write(demoBanner(config, phantom.url, await ensureDemoUser(phantom.store, phantom.box)));
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      logger.info("stopping");
      await phantom.close();
    });
}
