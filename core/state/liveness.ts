// Whether a recorded process is still the one we started: a pid plus its start time in
// /proc/<pid>/stat, so a recycled pid is never mistaken for the sentry.

export interface ProcStat {
  state: string;
  ppid: number;
  startTime: number;
}

export function parseProcStat(text: string): ProcStat | null {
  // The command name may contain spaces and parentheses: fields start after the last ')'.
  const close = text.lastIndexOf(")");
  if (close < 0) return null;
  const fields = text.slice(close + 2).split(" ");
  // fields[0] is field 3 (state), fields[1] the parent's pid; start time is field 22.
  const startTime = Number(fields[19]);
  if (!fields[0] || !Number.isFinite(startTime)) return null;
  return { state: fields[0], ppid: Number(fields[1]), startTime };
}

export function readProcStat(pid: number): ProcStat | null {
  try {
    return parseProcStat(Deno.readTextFileSync(`/proc/${pid}/stat`));
  } catch {
    return null;
  }
}

/** True while `pid` runs and is the process that started at `startTime` (zombies are dead). */
export function isAlive(pid: number, startTime: number): boolean {
  if (pid <= 0) return false;
  const st = readProcStat(pid);
  if (!st || st.startTime !== startTime) return false;
  return st.state !== "Z" && st.state !== "X";
}
