/* The rootfs overlay (PROTOCOL.md §12). TypeScript planned every path (core/plan/overlay.ts);
 * here they are only used.
 *
 * overlay_prepare runs in the sentry before clone3, in the caller's mount namespace: it mounts
 * the memory media (tmpfs, so the upper stays reachable from the host for `tar rootfs-upper`
 * and checkpoint until delete unmounts it), makes upper, work and target, gives the upper's
 * root the owner and mode of the lower's (overlayfs shows the upper root's), and copies a file
 * lower into its tmpfs. Pages written later are charged to the writer's memory cgroup: the
 * container's.
 *
 * overlay_mount runs in the init's new mount namespace, before the rootfs is bound onto itself:
 * overlayfs at each target, so the container sees the lower through its upper. */
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static int mkdir_ok(const char *path, mode_t mode)
{
	return mkdir(path, mode) == 0 || errno == EEXIST ? 0 : -1;
}

static int copy_file(const char *from, const char *to, const struct stat *st)
{
	int in = open(from, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (in < 0)
		return -1;
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0) {
		int e = errno;
		close(in);
		errno = e;
		return -1;
	}
	char buf[65536];
	int rc = 0;
	for (;;) {
		ssize_t n = read(in, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = (int)n;
			break;
		}
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				rc = -1;
				break;
			}
			off += w;
		}
		if (rc)
			break;
	}
	if (!rc && (fchown(out, st->st_uid, st->st_gid) != 0 || fchmod(out, st->st_mode & 07777) != 0))
		rc = -1;
	int e = errno;
	close(in);
	close(out);
	errno = e;
	return rc;
}

int overlay_prepare(const struct plan *p, char *err, size_t len)
{
	for (size_t i = 0; i < p->n_overlays; i++) {
		const struct plan_overlay *o = &p->overlays[i];
		if (o->tmpfs && mount("tmpfs", o->tmpfs, "tmpfs", MS_NOSUID | MS_NODEV,
				      o->tmpfs_data ? o->tmpfs_data : "") != 0) {
			snprintf(err, len, "overlay of %s: mount tmpfs at %s: %s", o->lower, o->tmpfs,
				 errstr(errno));
			return -1;
		}
		struct stat st;
		if (stat(o->lower, &st) != 0) {
			snprintf(err, len, "overlay of %s: stat: %s", o->lower, errstr(errno));
			return -1;
		}
		if (o->file) {
			if (copy_file(o->lower, o->target, &st) != 0) {
				snprintf(err, len, "overlay of %s: copy to %s: %s", o->lower, o->target,
					 errstr(errno));
				return -1;
			}
			continue;
		}
		const char *what = o->upper;
		if (mkdir_ok(o->upper, 0755) != 0 || (what = o->work, mkdir_ok(o->work, 0700) != 0) ||
		    (what = o->upper, chown(o->upper, st.st_uid, st.st_gid) != 0) ||
		    chmod(o->upper, st.st_mode & 07777) != 0 ||
		    (what = o->target, strcmp(o->target, o->lower) != 0 && mkdir_ok(o->target, 0755) != 0)) {
			snprintf(err, len, "overlay of %s: %s: %s", o->lower, what, errstr(errno));
			return -1;
		}
	}
	return 0;
}

/* overlayfs option values escape ',', ':' and '\' */
static int append_escaped(char *buf, size_t cap, size_t *at, const char *s)
{
	for (; *s; s++) {
		if (strchr(",:\\", *s)) {
			if (*at + 1 >= cap)
				return -1;
			buf[(*at)++] = '\\';
		}
		if (*at + 1 >= cap)
			return -1;
		buf[(*at)++] = *s;
	}
	buf[*at] = 0;
	return 0;
}

static int append(char *buf, size_t cap, size_t *at, const char *s)
{
	size_t l = strlen(s);
	if (*at + l >= cap)
		return -1;
	memcpy(buf + *at, s, l + 1);
	*at += l;
	return 0;
}

void overlay_mount(const struct plan *p)
{
	for (size_t i = 0; i < p->n_overlays; i++) {
		const struct plan_overlay *o = &p->overlays[i];
		if (o->file)
			continue;
		/* no metacopy or redirects: the upper stays a plain OCI-style layer (whole files,
		 * whiteouts, opaque directories) that `tar rootfs-upper` can write out */
		char data[4096];
		size_t at = 0;
		if (append(data, sizeof data, &at, "lowerdir=") ||
		    append_escaped(data, sizeof data, &at, o->lower) ||
		    append(data, sizeof data, &at, ",upperdir=") ||
		    append_escaped(data, sizeof data, &at, o->upper) ||
		    append(data, sizeof data, &at, ",workdir=") ||
		    append_escaped(data, sizeof data, &at, o->work) ||
		    append(data, sizeof data, &at, ",index=off,metacopy=off,redirect_dir=off"))
			init_die("overlay of %s: options too long", o->lower);
		if (mount("overlay", o->target, "overlay", 0, data) != 0)
			init_die("overlay of %s at %s: %s", o->lower, o->target, errstr(errno));
	}
}
