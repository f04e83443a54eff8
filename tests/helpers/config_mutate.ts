// Mutations of config.json documents for the decoder fuzz tests (tests/unit/spec/config_fuzz_test.ts,
// tests/integration/config_errors_test.ts), and the shape of an error that names a JSON path.

// deno-lint-ignore no-explicit-any
export type Json = any;

/**
 * A JSON path as the errors give it, then ": ": `config`, `process.rlimits[1].type`,
 * `linux.sysctl["net.ipv4.ip_forward"]`, `annotation dev.moat.x` (sandbox policy keys).
 */
const ONE_PATH = String
  .raw`(?:config|annotation [\w.\-/]+|[a-zA-Z]\w*(?:\.[a-zA-Z_]\w*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*)`;
export const PATH_PREFIX = new RegExp(`^${ONE_PATH}(?:, ${ONE_PATH})*(?: \\([^)]*\\))?: `);

/** A small deterministic PRNG, so a failure is reproducible from its seed. */
export function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

/** Every [parent, key] of a JSON tree (objects and arrays), depth first. */
export function slots(
  v: Json,
  out: Array<[Json, string | number]> = [],
): Array<[Json, string | number]> {
  if (Array.isArray(v)) {
    v.forEach((c, i) => {
      out.push([v, i]);
      slots(c, out);
    });
  } else if (v !== null && typeof v === "object") {
    for (const k of Object.keys(v)) {
      out.push([v, k]);
      slots(v[k], out);
    }
  }
  return out;
}

export const ODD: Json[] = [
  null,
  0,
  -1,
  1.5,
  -0.5,
  2 ** 53,
  2 ** 64,
  -(2 ** 63),
  1e308,
  "",
  "x",
  "/",
  "../..",
  "a\u0000b",
  "18446744073709551616",
  true,
  false,
  [],
  [null],
  [""],
  [1, "a", {}],
  {},
  { "": null },
  { type: 1, path: [] },
  { __proto__: null },
];

export function mutate(doc: Json, rand: () => number): void {
  const n = 1 + Math.floor(rand() * 3);
  for (let m = 0; m < n; m++) {
    const all = slots(doc);
    if (all.length === 0) return;
    const [parent, key] = all[Math.floor(rand() * all.length)];
    const op = Math.floor(rand() * 8);
    if (op <= 3) parent[key] = structuredClone(ODD[Math.floor(rand() * ODD.length)]);
    else if (op === 4) {
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (op === 5) {
      // a sibling's value (right type somewhere else: deep type confusion)
      const [p2, k2] = all[Math.floor(rand() * all.length)];
      parent[key] = structuredClone(p2[k2]);
    } else if (op === 6) {
      const v = parent[key];
      if (Array.isArray(v)) v.push(structuredClone(v[0] ?? null), structuredClone(v[0] ?? null));
      else if (v && typeof v === "object") v[`x${Math.floor(rand() * 9)}`] = ODD[m % ODD.length];
      else parent[key] = [v];
    } else {
      const v = parent[key];
      if (typeof v === "number") parent[key] = v * -1 - 1;
      else if (typeof v === "string") parent[key] = v.slice(0, Math.floor(v.length / 2));
      else if (Array.isArray(v)) v.length = 0;
    }
  }
}
