/* libmoat: the C entry points the TypeScript core binds through Deno FFI.
 * Only moat_* symbols are exported (-fvisibility=hidden + MOAT_API). */
#include "plan.h"
#include "sentry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define MOAT_API __attribute__((visibility("default")))

#ifndef MFD_ALLOW_SEALING
#define MFD_ALLOW_SEALING 0x0002U
#endif
#ifndef F_ADD_SEALS
#define F_ADD_SEALS 1033
#define F_SEAL_SEAL 0x0001
#define F_SEAL_SHRINK 0x0002
#define F_SEAL_GROW 0x0004
#define F_SEAL_WRITE 0x0008
#endif

extern const uint8_t moat_sentry_image[];
extern const uint8_t moat_sentry_image_end[];

MOAT_API uint64_t moat_sentry_size(void)
{
	return (uint64_t)(moat_sentry_image_end - moat_sentry_image);
}

MOAT_API const char *moat_version(void)
{
	return "moat-sentry " MOAT_VERSION " plan-v1";
}

/* A sealed memfd holding the sentry: the caller starts it as /proc/self/fd/N, so the
 * binary can neither be replaced on disk nor rewritten through /proc/<pid>/exe
 * (the CVE-2019-5736 class). */
MOAT_API int32_t moat_sentry_memfd(void)
{
	int fd = memfd_create("moat-sentry", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	const uint8_t *p = moat_sentry_image;
	size_t left = (size_t)moat_sentry_size();
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;
			close(fd);
			return -e;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

/* The sealed memfd a running sentry was started from (/proc/<pid>/exe), if it holds exactly our
 * image: every sentry then runs from one shmem file and shares its text pages, so a sandbox
 * costs its private memory only. The seals make the file immutable, so checking it once is
 * enough. Returns the fd (close-on-exec) or -errno. */
MOAT_API int32_t moat_sentry_adopt(int32_t pid)
{
	char path[48];
	snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int want = F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL;
	struct stat st;
	size_t size = (size_t)moat_sentry_size();
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || (seals & want) != want || fstat(fd, &st) != 0 || (size_t)st.st_size != size) {
		close(fd);
		return -EINVAL;
	}
	uint8_t buf[16384];
	for (size_t off = 0; off < size;) {
		ssize_t r = pread(fd, buf, size - off < sizeof buf ? size - off : sizeof buf, (off_t)off);
		if (r <= 0 || memcmp(buf, moat_sentry_image + off, (size_t)r) != 0) {
			close(fd);
			return -EINVAL;
		}
		off += (size_t)r;
	}
	return fd;
}

MOAT_API int32_t moat_plan_check(const uint8_t *buf, uint64_t len, char *err, uint64_t errlen)
{
	struct plan *p = NULL;
	if (len > SIZE_MAX) {
		if (err && errlen)
			snprintf(err, (size_t)errlen, "plan: too large");
		return -1;
	}
	if (plan_decode(buf, (size_t)len, &p, err, (size_t)errlen) != 0)
		return -1;
	plan_free(p);
	return 0;
}
