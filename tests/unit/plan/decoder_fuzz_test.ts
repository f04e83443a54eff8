// Fuzz loop over the C decoder (through libmoat): random and mutated plans must be rejected or
// accepted, never crash the process, and agree with the TypeScript decoder on valid input.
import { assert, assertEquals } from "../../helpers/assert.ts";
import { decodePlan } from "../../../core/plan/decode.ts";
import { encodePlan } from "../../../core/plan/encode.ts";
import { loadLibmoat } from "../../../ffi/libmoat.ts";
import { planOf } from "./fixtures.ts";

function validPlan(): Uint8Array {
  return encodePlan(planOf());
}

// A small deterministic PRNG so a failure is reproducible from the printed seed.
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}

Deno.test("fuzz: the C decoder accepts the valid plan and rejects random bytes", () => {
  const lib = loadLibmoat();
  const good = validPlan();
  assertEquals(lib.planCheck(good), null);
  const rand = rng(0xC0FFEE);
  for (let i = 0; i < 3000; i++) {
    const len = Math.floor(rand() * 600);
    const buf = new Uint8Array(len);
    for (let j = 0; j < len; j++) buf[j] = Math.floor(rand() * 256);
    if (i % 2 === 0 && len >= 12) buf.set([0x4d, 0x4f, 0x41, 0x54, 1, 0, 0, 0], 0);
    assert(lib.planCheck(buf) !== null, `random buffer ${i} was accepted`);
  }
});

Deno.test("fuzz: mutated valid plans never crash and agree with the TypeScript decoder", () => {
  const lib = loadLibmoat();
  const good = validPlan();
  const rand = rng(42);
  let rejected = 0;
  for (let i = 0; i < 5000; i++) {
    const buf = good.slice();
    const flips = 1 + Math.floor(rand() * 4);
    for (let f = 0; f < flips; f++) buf[Math.floor(rand() * buf.length)] = Math.floor(rand() * 256);
    const cErr = lib.planCheck(buf);
    let tsOk = true;
    let tsErr = "";
    try {
      decodePlan(buf);
    } catch (e) {
      tsOk = false;
      tsErr = (e as Error).message;
    }
    if (cErr !== null) rejected++;
    // The C decoder is at least as strict as the TypeScript one.
    if (!tsOk) assert(cErr !== null, `mutation ${i}: TS rejects (${tsErr}) but C accepts`);
  }
  assert(rejected > 0);
  // Truncations at every length are rejected.
  for (let n = 0; n < good.length; n += 7) assert(lib.planCheck(good.subarray(0, n)) !== null);
});
