/* Cgroup placement of the sentry (PROTOCOL.md §1, tags 40-49): TypeScript created and configured
 * the cgroups; the sentry only moves itself in before it clones the init. */
#ifndef MOAT_CGROUP_H
#define MOAT_CGROUP_H

#include <stddef.h>

struct plan;

/* Writes our pid to every CGROUP_PROCS file. 0, or -1 with a message in err. */
int cgroup_join(const struct plan *p, char *err, size_t errlen);

/* An fd of CGROUP_V2_DIR for CLONE_INTO_CGROUP, -1 when the plan has none (or -2 with err). */
int cgroup_v2_fd(const struct plan *p, char *err, size_t errlen);

#endif
