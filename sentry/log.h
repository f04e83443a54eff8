/* The sentry's own log (LOG_PATH): JSON lines like runc's --log, because engines
 * (containerd, CRI-O) read the last "msg" of that file to explain a failure. */
#ifndef MOAT_LOG_H
#define MOAT_LOG_H

int log_open(const char *path, int min_fd);
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_close(void);
int log_fd(void);

#endif
