// `moat create` on mutated config.json documents (tests/helpers/config_mutate.ts): a non-zero
// exit with an error naming the JSON path, and nothing left behind (no state directory,
// container in `list`, cgroup or process). The unit fuzz (tests/unit/spec/config_fuzz_test.ts)
// covers thousands of documents; these few go through the real CLI.
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import { isRoot, makeBundle, uniqueId } from "../helpers/bundle.ts";
import { moat, moatToFile, processesMentioning, ROOT } from "../helpers/moat.ts";
import { type Json, mutate, PATH_PREFIX, rng } from "../helpers/config_mutate.ts";
import { parseSpec } from "../../core/spec/mod.ts";
import { buildPlan } from "../../core/plan/resolve.ts";
import { realHost } from "../../core/plan/host.ts";
import { PLAN_OPTS } from "../unit/plan/fixtures.ts";

const root = { ignore: !isRoot(), sanitizeResources: false, sanitizeOps: false };

function exists(p: string): boolean {
  try {
    Deno.statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** Cgroup directories named after `id` anywhere two levels under /sys/fs/cgroup/<hierarchy>. */
function cgroupsOf(id: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dir)];
    } catch {
      return;
    }
    for (const e of entries) {
      if (!e.isDirectory) continue;
      if (e.name.includes(id)) out.push(`${dir}/${e.name}`);
      else if (depth > 0) walk(`${dir}/${e.name}`, depth - 1);
    }
  };
  walk("/sys/fs/cgroup", 2);
  return out;
}

/** parseSpec or buildPlan (on this host) refuses the document. */
function decoderRefuses(doc: Json, bundle: string): boolean {
  try {
    buildPlan(parseSpec(doc), { ...PLAN_OPTS, bundle }, realHost);
    return false;
  } catch {
    return true;
  }
}

async function assertRefused(id: string, bundle: string, what: string): Promise<string> {
  // create hands its stdio to the container: a file, never a pipe we would wait on
  const r = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
  assert(r.code !== 0, `${what}: create succeeded`);
  const msg = r.stderr.trim().split("\n").at(-1) ?? "";
  const list = await moat(["list", "-q"]);
  assert(!list.stdout.split("\n").includes(id), `${what}: listed`);
  assert(!exists(`${ROOT}/${id}`), `${what}: state directory left`);
  assertEquals(cgroupsOf(id), [], `${what}: cgroups left`);
  assertEquals(processesMentioning(id), [], `${what}: processes left`);
  return msg;
}

Deno.test({
  name:
    "config errors: create refuses mutated config.json documents naming the path, leaving nothing",
  ...root,
  async fn() {
    const rand = rng(0xB0B);
    let tried = 0;
    for (let i = 0; tried < 12 && i < 500; i++) {
      const bundle = makeBundle(["true"]);
      const config: Json = JSON.parse(Deno.readTextFileSync(`${bundle}/config.json`));
      const doc = structuredClone(config);
      mutate(doc, rand);
      Deno.writeTextFileSync(`${bundle}/config.json`, JSON.stringify(doc));
      const id = uniqueId("mut");
      const r = await moatToFile(["create", "--bundle", bundle, id], `${bundle}/out`);
      if (r.code === 0) {
        // an accepted mutation (a still-valid document): clean up, and it does not count
        await moat(["delete", "--force", id]);
        continue;
      }
      const msg = r.stderr.trim().split("\n").at(-1) ?? "";
      // nothing is left behind, whatever refused the document
      assert(!exists(`${ROOT}/${id}`), `mutation ${i}: state directory left (${msg})`);
      assertEquals(cgroupsOf(id), [], `mutation ${i}: cgroups left (${msg})`);
      assertEquals(processesMentioning(id), [], `mutation ${i}: processes left (${msg})`);
      // what the decoder and planner refuse names its JSON path; a document they accept can
      // still fail on the host (a mount over /dev, say): that error names the host operation
      if (!decoderRefuses(doc, bundle)) continue;
      tried++;
      assertMatch(msg, PATH_PREFIX, `mutation ${i}: ${msg}`);
    }
    assertEquals(tried, 12);
  },
});

Deno.test({
  name: "config errors: wrong types deep in the document and truncated JSON, nothing left",
  ...root,
  async fn() {
    const cases: Array<[(s: Json) => void, string]> = [
      [(s) => (s.process.args = [1]), "process.args[0]: must be a string"],
      [(s) => (s.process.user.uid = -1), "process.user.uid: must be an unsigned 32-bit integer"],
      [
        (s) => (s.linux.namespaces[0] = { type: "bogus" }),
        'linux.namespaces[0].type: unknown namespace "bogus"',
      ],
      [(s) => (s.mounts[1].options = "ro"), "mounts[1].options: must be an array"],
      [
        (s) => (s.linux.resources = { memory: { limit: "1g" } }),
        "linux.resources.memory.limit: must be",
      ],
      [
        (s) => (s.process.env = ["PATH=/bin\u0000x"]),
        "process.env[0]: must not contain a NUL byte",
      ],
      [(s) => (s.linux.seccomp = { defaultAction: 7 }), "linux.seccomp.defaultAction: must be"],
    ];
    for (const [edit, msg] of cases) {
      const bundle = makeBundle(["true"], edit);
      const id = uniqueId("bad");
      const got = await assertRefused(id, bundle, msg);
      assert(got.includes(msg), `${got} does not include ${msg}`);
    }
    // a config cut short is invalid JSON, named by its file
    const bundle = makeBundle(["true"]);
    const text = Deno.readTextFileSync(`${bundle}/config.json`);
    Deno.writeTextFileSync(`${bundle}/config.json`, text.slice(0, Math.floor(text.length / 2)));
    const got = await assertRefused(uniqueId("cut"), bundle, "truncated");
    assert(got.includes(`${bundle}/config.json: invalid JSON`), got);
  },
});
