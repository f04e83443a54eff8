/* Optional append-only log for the sentry; a missing LOG_PATH means no log at all. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int logfd = -1;

int log_open(const char *path, int min_fd)
{
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0)
		return -1;
	/* keep it above the fds the init inherits, so it can never be mistaken for one */
	if (fd < min_fd) {
		int hi = fcntl(fd, F_DUPFD_CLOEXEC, min_fd);
		int e = errno;
		close(fd);
		if (hi < 0) {
			errno = e;
			return -1;
		}
		fd = hi;
	}
	logfd = fd;
	return 0;
}

int log_fd(void)
{
	return logfd;
}

void log_close(void)
{
	if (logfd >= 0)
		close(logfd);
	logfd = -1;
}

void log_msg(const char *level, const char *fmt, ...)
{
	if (logfd < 0)
		return;
	char msg[2048], line[4608];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);

	struct timespec ts;
	struct tm tm;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = (size_t)snprintf(line, sizeof line,
				    "{\"level\":\"%s\",\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\",\"msg\":\"",
				    level, tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
				    tm.tm_min, tm.tm_sec, (long)ts.tv_nsec);
	/* JSON-escape the message */
	for (const unsigned char *c = (const unsigned char *)msg; *c && n + 8 < sizeof line; c++) {
		if (*c == '"' || *c == '\\') {
			line[n++] = '\\';
			line[n++] = (char)*c;
		} else if (*c < 0x20) {
			n += (size_t)snprintf(line + n, sizeof line - n, "\\u%04x", *c);
		} else {
			line[n++] = (char)*c;
		}
	}
	line[n++] = '"';
	line[n++] = '}';
	line[n++] = '\n';
	ssize_t w = write(logfd, line, n);
	(void)w;
}
