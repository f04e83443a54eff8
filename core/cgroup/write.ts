// One cgroup file write the resource planners decide on; the manager performs them in order.

export interface CgroupWrite {
  /** v1 controller whose directory gets the file, or "" for the cgroup2 directory. */
  controller: string;
  file: string;
  value: string;
  /** The config field this enforces (for errors: `linux.resources.memory.limit: …`). */
  field: string;
}

export function w(controller: string, file: string, value: string, field: string): CgroupWrite {
  return { controller, file, value, field };
}
