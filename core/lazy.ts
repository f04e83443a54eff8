// Modules a command needs only sometimes (a command, libmoat, hooks, seccomp), loaded on first
// use. `deno run` loads and parses every import() target it can see in the source before running
// anything (for cli/main.ts: every command's graph, ~14M instructions, ~4 ms on each call), so
// these specifiers are computed. A bundle (cli/bundle.ts) or an embedder (mod.ts) registers the
// literal imports of core/lazy_modules.ts instead, so the bundler carries the modules.

/** Keys are paths from the project's top directory, e.g. "ffi/libmoat.ts". */
type Loader = () => Promise<unknown>;
const registered = new Map<string, Loader>();
const top = new URL("../", import.meta.url);

export function registerModules(table: Record<string, Loader>): void {
  for (const [key, load] of Object.entries(table)) registered.set(key, load);
}

export function lazyImport<T>(key: string): Promise<T> {
  const load = registered.get(key);
  if (load) return load() as Promise<T>;
  const url = new URL(key, top).href;
  return import(url) as Promise<T>;
}
