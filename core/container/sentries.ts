// Running sentries of a state root (a few are enough): a new sentry is started from the memfd
// one of them runs from, so all share one copy of the program (ffi/launcher.ts).
import { isAlive } from "../state/liveness.ts";
import type { StateStore } from "../state/store.ts";

export function runningSentries(store: StateStore, max = 3): number[] {
  const out: number[] = [];
  for (const id of store.list()) {
    try {
      const r = store.read(id);
      if (r.sentryPid > 0 && isAlive(r.sentryPid, r.sentryStartTime)) out.push(r.sentryPid);
    } catch { /* removed meanwhile */ }
    if (out.length >= max) break;
  }
  return out;
}
