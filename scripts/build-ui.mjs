#!/usr/bin/env node
// Builds the dashboard that `phantom serve` serves under /ui/: copies ui/ (plain HTML, CSS and
// JavaScript modules, no bundler) to dist/ui/, and vendors uPlot from node_modules into
// dist/ui/vendor/ so the page needs no CDN (Phantom runs without internet).
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const out = join(root, "dist", "ui");
const uplot = dirname(createRequire(import.meta.url).resolve("uplot/dist/uPlot.esm.js"));

rmSync(out, { recursive: true, force: true });
cpSync(join(root, "ui"), out, { recursive: true });
mkdirSync(join(out, "vendor"), { recursive: true });
cpSync(join(uplot, "uPlot.esm.js"), join(out, "vendor", "uPlot.esm.js"));
cpSync(join(uplot, "uPlot.min.css"), join(out, "vendor", "uPlot.min.css"));
cpSync(join(uplot, "..", "LICENSE"), join(out, "vendor", "uPlot.LICENSE"));
