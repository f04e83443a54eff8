// Entry of the prebuilt command line (tools/build_cli.ts → dist/cli/, run by bin/moat): the same
// main as the source tree, its lazily loaded modules registered as literal imports so the bundler
// splits them into chunks. Deno loads a chunk of plain JavaScript far faster than the TypeScript
// modules it came from (~1M instructions per TS module of a few KB, measured with callgrind), and
// an engine pays that on every call. bin/moat runs it only while no source is newer than it.
if (import.meta.main) {
  (await import("../core/lazy_modules.ts")).registerLazyModules();
  (await import("./lazy_commands.ts")).registerLazyCommands();
  await (await import("./main.ts")).runEntry();
}
