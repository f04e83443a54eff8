/* Cgroup placement of the init (PROTOCOL.md §6a): TypeScript created and configured the
 * cgroups; the sentry clones the init into the cgroup2 leaf and moves it into the rest. */
#ifndef MOAT_CGROUP_H
#define MOAT_CGROUP_H

#include <stddef.h>
#include <sys/types.h>

struct plan;

/* Writes pid to every CGROUP_PROCS file (skipping the cgroup2 leaf's when in_v2_leaf: clone3
 * put it there). 0, or -1 with a message in err. */
int cgroup_place(const struct plan *p, pid_t pid, int in_v2_leaf, char *err, size_t errlen);

/* An fd of CGROUP_V2_DIR for CLONE_INTO_CGROUP, -1 when the plan has none (or -2 with err). */
int cgroup_v2_fd(const struct plan *p, char *err, size_t errlen);

#endif
