// Help texts (cli/usage.ts): runc's layout, and every command's flag table and its help agree.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../../helpers/assert.ts";
import {
  COMMAND_HELP,
  commandHelp,
  GLOBAL_OPTIONS,
  globalHelp,
  listedFlags,
} from "../../../cli/usage.ts";
import type { Command } from "../../../cli/commands/command.ts";
import { GLOBAL_FLAGS } from "../../../cli/main.ts";

const DIR = new URL("../../../cli/commands/", import.meta.url);
const commands = [...Deno.readDirSync(DIR)].map((e) => e.name).filter((n) =>
  n.endsWith(".ts") && n !== "command.ts"
).map((n) => n.slice(0, -3)).sort();

Deno.test("usage: every command module has help, and help names no other command", () => {
  assertEquals(Object.keys(COMMAND_HELP).sort(), commands);
});

Deno.test("usage: each command's help lists exactly the flags it parses (names and aliases)", async () => {
  for (const name of commands) {
    const cmd: Command = (await import(new URL(`${name}.ts`, DIR).href)).default;
    const parsed = Object.entries(cmd.flags).flatMap(([f, s]) => s.alias ? [f, s.alias] : [f]);
    assertEquals(listedFlags(COMMAND_HELP[name].options).sort(), parsed.sort(), name);
  }
});

Deno.test("usage: the global help lists the global flags main parses", () => {
  const names = Object.entries(GLOBAL_FLAGS).flatMap(([f, s]) => s.alias ? [f, s.alias] : [f]);
  assertEquals(listedFlags(GLOBAL_OPTIONS).sort(), names.sort());
});

Deno.test("usage: runc's layout, NAME, USAGE, description, OPTIONS", () => {
  const kill = commandHelp("kill")!;
  const lines = kill.split("\n");
  assertEquals(lines.slice(0, 5), [
    "NAME:",
    "   moat kill - kill sends the specified signal (default: SIGTERM) to the container's init process",
    "",
    "USAGE:",
    "   moat kill [command options] <container-id> [signal]",
  ]);
  const opts = lines.indexOf("OPTIONS:");
  assert(opts > 5, kill);
  // options in one aligned column
  assertEquals(lines[opts + 1].indexOf("send"), lines[opts + 2].indexOf("send"));
  assertStringIncludes(lines[opts + 1], "   --all, -a    send the specified signal");
  // a command without flags has no OPTIONS section and no [command options]
  const state = commandHelp("state")!;
  assert(!state.includes("OPTIONS:"), state);
  assertStringIncludes(state, "USAGE:\n   moat state <container-id>\n");
  assertEquals(commandHelp("nosuch"), undefined);
  assertEquals(commandHelp("toString"), undefined);
  const g = globalHelp("9.9.9", "1.3.0");
  for (const section of ["NAME:", "USAGE:", "VERSION:", "COMMANDS:", "GLOBAL OPTIONS:"]) {
    assert(g.split("\n").includes(section), section);
  }
  assertStringIncludes(g, "\n   9.9.9\nspec: 1.3.0\n");
  assertMatch(g, /^ {3}help, h +Shows a list of commands or help for one command$/m);
  for (const c of commands) assert(new RegExp(`^   ${c} +\\S`, "m").test(g), c);
});
