// The command line as engines and people use it: version, spec, flag errors, --log behaviour,
// and the one-file bundle running a real container.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../helpers/assert.ts";
import { isRoot, makeBundle, uniqueId, WORK } from "../helpers/bundle.ts";
import { moat, ROOT } from "../helpers/moat.ts";
import { parseSpec } from "../../core/spec/mod.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };
const TOP = new URL("../..", import.meta.url).pathname.replace(/\/$/, "");

Deno.test("cli: --version prints runc's three lines first", async () => {
  const r = await moat(["--version"]);
  assertEquals(r.code, 0);
  const lines = r.stdout.split("\n");
  assertMatch(lines[0], /^moat version \d+\.\d+\.\d+$/);
  assertMatch(lines[1], /^commit: /);
  assertEquals(lines[2], "spec: 1.3.0");
  assertMatch(lines[3], /^sentry: moat-sentry /);
});

Deno.test("cli: spec writes a config moat accepts, and refuses to overwrite it", async () => {
  const dir = Deno.makeTempDirSync();
  assertEquals((await moat(["spec", "--bundle", dir])).code, 0);
  const spec = parseSpec(JSON.parse(Deno.readTextFileSync(`${dir}/config.json`)));
  assertEquals(spec.process?.args, ["sh"]);
  assertEquals(spec.root?.path, "rootfs");
  const again = await moat(["spec", "--bundle", dir]);
  assertEquals(again.code, 1);
  assertStringIncludes(again.stderr, "exists");
  assertEquals((await moat(["spec", "--rootless", "-b", `${dir}/`])).code, 1);
  Deno.removeSync(`${dir}/config.json`);
  assertEquals((await moat(["spec", "--rootless", "-b", dir])).code, 0);
  const rootless = JSON.parse(Deno.readTextFileSync(`${dir}/config.json`));
  assert(rootless.linux.namespaces.some((n: { type: string }) => n.type === "user"));
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("cli: Go-style flag errors, exit 1, and the --log file written even on early failure", async () => {
  const dir = Deno.makeTempDirSync();
  const log = `${dir}/log.json`;
  const r = await moat(["--log", log, "--log-format=json", "delete", "--bogus", "x"]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "flag provided but not defined: -bogus");
  const lines = Deno.readTextFileSync(log).trim().split("\n");
  assertEquals(lines.length, 1);
  const entry = JSON.parse(lines[0]);
  assertEquals([entry.level, entry.msg], ["error", "flag provided but not defined: -bogus"]);
  assert(!Number.isNaN(Date.parse(entry.time)));
  const missing = await moat(["--log", log, "--log-format", "json", "state", "nope"]);
  assertEquals(missing.code, 1);
  assertStringIncludes(missing.stderr, "container does not exist");
  const text = await moat(["--log", `${dir}/log.txt`, "kill", "nope"]);
  assertMatch(
    Deno.readTextFileSync(`${dir}/log.txt`),
    /^time="[^"]+" level=error msg="container does not exist"\n$/,
  );
  assertEquals(text.code, 1);
  assertEquals((await moat(["delete", "--force", "nope"])).code, 0);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test({
  name: "cli: single-dash long flags and flags after the id, as engines send them",
  ...root,
  async fn() {
    const bundle = makeBundle(["true"]);
    const id = uniqueId("dash");
    const r = await moat(["-root", ROOT, "run", "-bundle", bundle, id]);
    assertEquals(r.code, 0, r.stderr);
    assertEquals((await moat(["delete", id, "--force"])).code, 0);
  },
});

Deno.test({
  name: "cli: the one-file bundle (dist/moat.js) runs a container with only deno",
  ...root,
  async fn() {
    const deno = `${TOP}/.deno/bin/deno`;
    const out = `${WORK}/moat-bundle-test.js`;
    const b = await new Deno.Command(deno, {
      args: ["bundle", "--quiet", "--unstable-raw-imports", "-o", out, `${TOP}/cli/bundle.ts`],
      cwd: TOP,
    }).output();
    assertEquals(b.code, 0, new TextDecoder().decode(b.stderr));
    // Copied away from the source tree: it must not need any other file.
    const lone = Deno.makeTempDirSync();
    Deno.copyFileSync(out, `${lone}/moat.js`);
    const bundle = makeBundle(
      ["sh", "-c", "echo bundled $(hostname)"],
      (s) => (s.hostname = "onefile"),
    );
    const r = await new Deno.Command(deno, {
      args: [
        "run",
        "-A",
        "--unstable-raw-imports",
        "--no-config",
        `${lone}/moat.js`,
        "--root",
        ROOT,
        "run",
        "--bundle",
        bundle,
        uniqueId("onefile"),
      ],
      cwd: lone,
      stdout: "piped",
      stderr: "piped",
    }).output();
    assertEquals(
      new TextDecoder().decode(r.stdout),
      "bundled onefile\n",
      new TextDecoder().decode(r.stderr),
    );
    assertEquals(r.code, 0);
    Deno.removeSync(lone, { recursive: true });
  },
});

Deno.test("cli: features is the OCI features document engines parse (stdout only)", async () => {
  const r = await moat(["features"]);
  assertEquals(r.code, 0);
  assertEquals(r.stderr, "");
  assert(r.stdout.startsWith('{\n    "ociVersionMin"'), "4-space indent like runc");
  const f = JSON.parse(r.stdout);
  assertEquals([f.ociVersionMin, f.ociVersionMax], ["1.0.0", "1.3.0"]);
  assertEquals(f.hooks.length, 6);
  for (const o of ["rro", "rbind", "idmap", "ridmap", "tmpcopyup"]) {
    assert(f.mountOptions.includes(o), o);
  }
  // CRI advertises user namespaces from these two.
  assert(f.linux.namespaces.includes("user"));
  assertEquals(f.linux.mountExtensions.idmap.enabled, true);
  assertEquals(f.linux.seccomp.enabled, true);
  assert(f.linux.seccomp.actions.includes("SCMP_ACT_NOTIFY"));
  assert(f.linux.seccomp.operators.includes("SCMP_CMP_MASKED_EQ"));
  assert(f.linux.capabilities.includes("CAP_SYS_ADMIN"));
  assert(f.linux.memoryPolicy.modes.includes("MPOL_BIND"));
  assertEquals(f.linux.netDevices.enabled, true);
  assert(f.annotations["dev.moat.overlay2"].startsWith("none|root:MEDIUM|all:MEDIUM"));
});

Deno.test("cli: --help, help, help CMD, CMD --help and -h print runc-style usage, exit 0", async () => {
  const global = await moat(["--help"]);
  assertEquals([global.code, global.stderr], [0, ""]);
  assert(global.stdout.startsWith("NAME:\n   moat - "), global.stdout);
  assertStringIncludes(global.stdout, "\nCOMMANDS:\n");
  assertStringIncludes(global.stdout, "\nGLOBAL OPTIONS:\n");
  for (const argv of [["help"], ["-h"], []]) {
    const r = await moat(argv);
    assertEquals([r.code, r.stdout], [0, global.stdout], argv.join(" "));
  }
  const kill = await moat(["help", "kill"]);
  assertEquals([kill.code, kill.stderr], [0, ""]);
  assert(kill.stdout.startsWith("NAME:\n   moat kill - kill sends the specified signal"));
  assertStringIncludes(
    kill.stdout,
    "\nUSAGE:\n   moat kill [command options] <container-id> [signal]\n",
  );
  assertStringIncludes(kill.stdout, "\nOPTIONS:\n   --all, -a ");
  for (const argv of [["kill", "--help"], ["kill", "-h"], ["h", "kill"], ["kill", "-help"]]) {
    const r = await moat(argv);
    assertEquals([r.code, r.stdout], [0, kill.stdout], argv.join(" "));
  }
  // help of a command never runs it: no container needed, nothing created
  const create = await moat(["create", "--bundle", "/nonexistent", "--help"]);
  assertEquals(create.code, 0);
  assert(create.stdout.startsWith("NAME:\n   moat create - create a container\n"));
  // after exec's container id, --help belongs to the command
  const exec = await moat(["exec", "no-such-container", "ls", "--help"]);
  assertEquals(exec.code, 255);
  assertStringIncludes(exec.stderr, "does not exist");
});

Deno.test("cli: an unknown command or help topic exits 3 as runc does", async () => {
  for (const argv of [["bogus"], ["help", "bogus"], ["frobnicate", "--help"], ["unpause"]]) {
    const r = await moat(argv);
    assertEquals(r.code, 3, argv.join(" "));
    assertEquals(r.stdout, "");
    assertStringIncludes(
      r.stderr,
      `No help topic for '${argv.at(-1) === "--help" ? argv[0] : argv.at(-1)}'`,
    );
  }
});

Deno.test("cli: update refuses per-resource flags beside --resources (runc ignores them)", async () => {
  const r = await moat(["update", "--resources", "/dev/null", "--memory", "1m", "no-such-ctr"]);
  assertEquals(r.code, 1);
  assertStringIncludes(r.stderr, "update: --memory cannot be combined with --resources");
});
