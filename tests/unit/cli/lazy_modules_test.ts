// Every lazyImport key the sources use has a literal import in the tables the prebuilt command
// line and embedders register (cli/bundle.ts, mod.ts): a key missing there would be loaded from a
// path relative to the bundle, which does not exist.
import { assertEquals } from "../../helpers/assert.ts";
import { LAZY_MODULES } from "../../../core/lazy_modules.ts";
import { LAZY_COMMANDS } from "../../../cli/lazy_commands.ts";
import { COMMAND_NAMES } from "../../../cli/main.ts";

const top = new URL("../../../", import.meta.url).pathname;

function sources(dir: string, out: string[] = []): string[] {
  for (const e of Deno.readDirSync(top + dir)) {
    const p = `${dir}/${e.name}`;
    if (e.isDirectory) sources(p, out);
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

Deno.test("lazy modules: every key used in the sources is registered, and only those", () => {
  const used = new Set<string>(COMMAND_NAMES.map((n) => `cli/commands/${n}.ts`));
  for (const f of [...sources("cli"), ...sources("core"), ...sources("ffi"), "mod.ts"]) {
    const text = Deno.readTextFileSync(top + f);
    for (const m of text.matchAll(/lazyImport<[^>]*>\(\s*"([^"]+)"/gs)) used.add(m[1]);
  }
  const core = Object.keys(LAZY_MODULES);
  const cli = Object.keys(LAZY_COMMANDS);
  assertEquals([...cli, ...core].sort(), [...used].sort());
  // core/ never reaches up into the command line
  assertEquals(core.filter((k) => k.startsWith("cli/")), []);
  for (const k of [...cli, ...core]) Deno.statSync(top + k);
});
