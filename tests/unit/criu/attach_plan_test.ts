// Plan tag ATTACH (140, restore): both decoders read it, the C one bounds-checks it.
import { assert, assertEquals } from "../../helpers/assert.ts";
import { decodePlan } from "../../../core/plan/decode.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { planOf } from "../plan/fixtures.ts";

Deno.test("plan ATTACH: round trip through the TypeScript and C decoders; bad pids refused", async () => {
  const p = { ...planOf(), attach: { pid: 31337, startTime: 123456789 } };
  assertEquals(decodePlan(encodePlan(p)).attach, { pid: 31337, startTime: 123456789 });
  assertEquals(decodePlan(encodePlan(planOf())).attach, undefined);
  const { loadLibmoat } = await import("../../../ffi/libmoat.ts");
  const lib = loadLibmoat();
  assertEquals(lib.planCheck(encodePlan(p)), null);
  for (const pid of [0, 0x40000000]) {
    const err = lib.planCheck(encodePlan({ ...p, attach: { pid, startTime: 1 } }));
    assert(err?.includes("ATTACH: pid"), String(err));
  }
});
