// MOAT_TRACE_TIMING=1: each command's phases on stderr at exit, as milliseconds since the
// process started (performance.now's origin), so every figure of the benchmark can be
// explained phase by phase. Free when off: one env lookup.
const on = Deno.env.get("MOAT_TRACE_TIMING") === "1";
const marks: Array<[string, number]> = [];

export function mark(phase: string): void {
  if (on) marks.push([phase, performance.now()]);
}

/** Prints the phases and the time each took since the previous one. */
export function report(): void {
  if (!on || marks.length === 0) return;
  let prev = 0;
  const lines = marks.map(([p, t]) => {
    const line = `timing: ${t.toFixed(2).padStart(8)} ms  +${
      (t - prev).toFixed(2).padStart(6)
    }  ${p}`;
    prev = t;
    return line;
  });
  console.error(lines.join("\n"));
}
