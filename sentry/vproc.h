/* What the container sees of the machine (DESIGN §4.2): /proc/meminfo, cpuinfo, stat, uptime,
 * loadavg, swaps, diskstats and /sys/devices/system/cpu/online as LXCFS virtualises them, and
 * sysinfo(2), all computed from the container's cgroup files at the moment they are read
 * (limits change with `update`) and from the host's /proc for what the cgroup does not say.
 * Every file is opened relative to the view's directory fds, never by a path. */
#ifndef MOAT_VPROC_H
#define MOAT_VPROC_H

#include <stddef.h>
#include <stdint.h>

#include "kabi.h"

/* The load average's state, kept like the kernel's (fixed point, FSHIFT 11). */
struct vproc_load {
	uint64_t avenrun[3]; /* 1, 5, 15 minutes */
	unsigned running;    /* tasks in R state at the last sample */
	unsigned threads;    /* tasks at the last sample */
	unsigned last_pid;   /* the highest pid in use, as the container's pid namespace numbers it */
};

struct vproc_view {
	/* O_PATH|O_DIRECTORY fds of the container's cgroup directories, -1 if absent. On
	 * cgroup v2 they may all be the same directory. */
	int mem_dir, cpu_dir, cpuacct_dir, cpuset_dir, blkio_dir, pids_dir;
	int cgroup_v2;            /* 1: the dirs are cgroup2 directories (v2 file names) */
	int host_proc;            /* fd of the host's /proc (pids as the sentry sees them) */
	uint64_t start_boottime_ns; /* the container's start, CLOCK_BOOTTIME */
	struct vproc_load load;   /* vproc_sample's; zero at first */
	struct vproc_fds *fds;    /* private: files kept open between renders */
};

/* A view with every fd -1 and nothing sampled: 0, or -1 with errno (ENOMEM). The files a
 * render reads stay open and are read again from offset 0 (the kernel regenerates them):
 * opening a cgroup file costs more than reading it. */
int vproc_view_init(struct vproc_view *v);
/* Closes the files the renders kept open (not the dir fds, which stay the caller's). */
void vproc_view_release(struct vproc_view *v);

/* The renderers (struct vfs_file's render; ctx is a struct vproc_view *): write at most cap
 * bytes of the file into buf and return its full length (snprintf-like). */
size_t vproc_meminfo(void *ctx, char *buf, size_t cap);
size_t vproc_cpuinfo(void *ctx, char *buf, size_t cap);
size_t vproc_stat(void *ctx, char *buf, size_t cap);
size_t vproc_uptime(void *ctx, char *buf, size_t cap);
size_t vproc_loadavg(void *ctx, char *buf, size_t cap);
size_t vproc_swaps(void *ctx, char *buf, size_t cap);
size_t vproc_diskstats(void *ctx, char *buf, size_t cap);
size_t vproc_cpu_online(void *ctx, char *buf, size_t cap);

/* One load-average sample, like the kernel's calc_load every LOAD_FREQ: the sentry calls it
 * when the container starts and then every 5 s from its loop. Counts the container's tasks in
 * R and D state (its cgroup's tasks and those of the cgroups below, at most 1024 read per
 * sample and the rest extrapolated, so a sample stays below a few ms). */
#define VPROC_SAMPLE_SECONDS 5
void vproc_sample(struct vproc_view *v);

/* struct moat_ksysinfo: the kernel's struct sysinfo on x86_64, 112 bytes (kabi.h; musl's has
 * 256 more bytes of padding and writing it into a target's memory once smashed its stack). */
_Static_assert(sizeof(struct moat_ksysinfo) == 112, "kernel struct sysinfo is 112 bytes");

/* sysinfo(2) as the container sees it: memory and swap as in vproc_meminfo (the host's
 * without a limit), uptime since the container's start, loads from the samples, procs the
 * number of tasks in the container's cgroup, mem_unit 1. 0, or -1 with errno. */
int vproc_sysinfo(const struct vproc_view *v, struct moat_ksysinfo *out);

#endif
