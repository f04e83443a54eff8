// The plan's tags are spelled twice, in core/plan/tags.ts and in the C enums (plan.h, plan.c,
// plan_attrs.inc): this test reads the C enums and holds the two to the same numbers, so a tag
// added on one side only fails here instead of in a container.
import { assertEquals } from "../../helpers/assert.ts";
import * as tags from "../../../core/plan/tags.ts";

const SENTRY = new URL("../../../sentry/", import.meta.url);

/** Every `NAME = value` of every `enum { ... }` in the C sources (implicit values counted). */
function cEnums(): Map<string, number> {
  const out = new Map<string, number>();
  for (const f of ["plan.h", "plan.c", "plan_attrs.inc", "plan_sandbox.inc"]) {
    const src = Deno.readTextFileSync(new URL(f, SENTRY)).replace(/\/\*[\s\S]*?\*\//g, "");
    for (const m of src.matchAll(/enum\s*\{([^}]*)\}/g)) {
      let next = 0;
      for (const item of m[1].split(",").map((x) => x.trim()).filter(Boolean)) {
        const [name, value] = item.split("=").map((x) => x.trim());
        const v = value === undefined ? next : out.get(value) ?? Number(value);
        out.set(name, v);
        next = v + 1;
      }
    }
  }
  return out;
}

// TypeScript table → the C prefix of its names
const NESTED: Array<[Record<string, number>, string]> = [
  [tags.NsTag, "NS_"],
  [tags.MountTag, "M_"],
  [tags.DeviceTag, "D_"],
  [tags.SymlinkTag, "L_"],
  [tags.RlimitTag, "R_"],
  [tags.IdMapTag, "I_"],
  [tags.NetDeviceTag, "ND_"],
  [tags.HookTag, "H_"],
  [tags.SysctlTag, "SY_"],
  [tags.SchedTag, "SC_"],
  [tags.TimeOffsetTag, "TO_"],
  [tags.EgressRuleTag, "ER_"],
  [tags.DenialTag, "DN_"],
  [tags.VprocDirTag, "VD_"],
  [tags.VprocKind, "VPROC_"],
  [tags.OverlayTag, "OV_"],
];

// C names with no TypeScript counterpart on purpose
const C_ONLY = new Set(["T_MAX_TOP", "M_MODE"]);

Deno.test("plan tags: tags.ts and the C enums agree, name for name and number for number", () => {
  const c = cEnums();
  const tables: Array<[Record<string, number>, string]> = [[tags.Tag, "T_"], ...NESTED];
  for (const [table, prefix] of tables) {
    for (const [name, value] of Object.entries(table)) {
      assertEquals(c.get(prefix + name), value, `${prefix}${name}`);
    }
    const cNames = [...c.keys()].filter((n) =>
      n.startsWith(prefix) && !n.endsWith("_MAX") && !C_ONLY.has(n) &&
      // "T_" must not swallow the nested prefixes that start with T (TO_)
      !(prefix === "T_" && n.startsWith("TO_"))
    );
    for (const n of cNames) {
      assertEquals(n.slice(prefix.length) in table, true, `${n} is missing from tags.ts`);
    }
  }
});
