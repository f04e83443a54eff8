/* tmpcopyup (a runc extension podman sends with --read-only): a tmpfs mounted over a directory
 * of the image starts with that directory's content. Everything is fd-relative with
 * O_NOFOLLOW, so a symlink in the image is copied as a symlink, never followed. */
#include "kabi.h"
#include "sentry.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define COPYUP_MAX_DEPTH 64

static int copy_file(int src, int dst, const char *name, const struct stat *st)
{
	int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (in < 0)
		return -1;
	int out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			 st->st_mode & 07777);
	if (out < 0) {
		close(in);
		return -1;
	}
	int rc = copy_fd(in, out);
	if (rc == 0 && fchmod(out, st->st_mode & 07777) != 0)
		rc = -1;
	close(in);
	close(out);
	return rc;
}

static int copy_tree(int src, int dst, int depth)
{
	if (depth > COPYUP_MAX_DEPTH) {
		errno = ELOOP;
		return -1;
	}
	int dfd = dup(src);
	if (dfd < 0)
		return -1;
	DIR *dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return -1;
	}
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(dir))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(src, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			rc = -1;
			break;
		}
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dst, e->d_name, st.st_mode & 07777) != 0) {
				rc = -1;
				break;
			}
			int s2 = openat(src, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			int d2 = openat(dst, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			rc = (s2 < 0 || d2 < 0) ? -1 : copy_tree(s2, d2, depth + 1);
			if (rc == 0 && fchmod(d2, st.st_mode & 07777) != 0)
				rc = -1;
			if (s2 >= 0)
				close(s2);
			if (d2 >= 0)
				close(d2);
		} else if (S_ISREG(st.st_mode)) {
			rc = copy_file(src, dst, e->d_name, &st);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(src, e->d_name, target, sizeof target - 1);
			if (n < 0) {
				rc = -1;
				break;
			}
			target[n] = 0;
			rc = symlinkat(target, dst, e->d_name);
		} else {
			rc = mknodat(dst, e->d_name, st.st_mode, st.st_rdev);
		}
		if (rc == 0 && fchownat(dst, e->d_name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) != 0)
			rc = -1;
	}
	closedir(dir);
	return rc;
}

int copyup_tree(int src_dir, int dst_dir)
{
	struct stat st;
	if (fstat(src_dir, &st) != 0)
		return -1;
	if (copy_tree(src_dir, dst_dir, 0) != 0)
		return -1;
	/* the tmpfs root takes the directory's own mode and owner too */
	if (fchmod(dst_dir, st.st_mode & 07777) != 0 || fchown(dst_dir, st.st_uid, st.st_gid) != 0)
		return -1;
	return 0;
}
