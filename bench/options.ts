/** The benchmarks' command-line options. */

/** The number after `--<name>` on the command line, or `fallback` when it is not given. */
export function numberOption(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
}

/** Whether `--<name>` is on the command line. */
export function flagOption(name: string): boolean {
  return process.argv.includes(`--${name}`);
}
