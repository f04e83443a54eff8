import { assertEquals, assertThrows } from "../../helpers/assert.ts";
import { flagBool, flagString, parseArgs } from "../../../cli/args.ts";
import { parseSignal } from "../../../core/container/signals.ts";

const table = {
  bundle: { value: true, alias: "b" },
  "pid-file": { value: true },
  detach: { alias: "d" },
  force: { alias: "f" },
};

Deno.test("args: every flag form engines send", () => {
  for (
    const argv of [
      ["--bundle", "/b", "id"],
      ["--bundle=/b", "id"],
      ["-bundle", "/b", "id"],
      ["-bundle=/b", "id"],
      ["-b", "/b", "id"],
    ]
  ) {
    const p = parseArgs(argv, table, false);
    assertEquals(flagString(p, "bundle"), "/b");
    assertEquals(p.positionals, ["id"]);
  }
  const p = parseArgs(["id", "--force", "-d"], table, false);
  assertEquals([flagBool(p, "force"), flagBool(p, "detach"), p.positionals], [true, true, ["id"]]);
  const q = parseArgs(["--detach=false", "id"], table, false);
  assertEquals(flagBool(q, "detach"), false);
});

Deno.test("args: after the first positional, exec-style commands take everything literally", () => {
  const p = parseArgs(["-d", "id", "ls", "-la", "--force"], table, true);
  assertEquals(p.positionals, ["id", "ls", "-la", "--force"]);
});

Deno.test("args: Go-style errors for unknown flags and missing values", () => {
  assertThrows(
    () => parseArgs(["--nope", "id"], table, false),
    "flag provided but not defined: -nope",
  );
  assertThrows(() => parseArgs(["--bundle"], table, false), "flag needs an argument: -bundle");
});

Deno.test("signals: names with or without SIG, any case, numbers, realtime", () => {
  assertEquals(["KILL", "SIGKILL", "kill", "9"].map(parseSignal), [9, 9, 9, 9]);
  assertEquals(parseSignal("TERM"), 15);
  assertEquals(parseSignal("0"), 0);
  assertEquals(parseSignal("SIGRTMIN+2"), 36);
  assertThrows(() => parseSignal("SIGFOO"), 'unknown signal "SIGFOO"');
});
