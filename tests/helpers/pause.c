/* The pod sandbox ("pause") program of the CRI tests, built static with musl-gcc and made into an
 * image: it holds the pod's namespaces, reaps every child re-parented to it (with a shared pid
 * namespace it is the pod's PID 1) and exits 0 on SIGTERM or SIGINT. As PID 1 it gets no default
 * signal actions, so both are caught explicitly. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_stop(int sig) {
  (void)sig;
  stop = 1;
}

static void on_child(int sig) { (void)sig; }

int main(void) {
  struct sigaction sa = {0};
  sigset_t block, old;

  sigemptyset(&block);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGCHLD);
  /* Signals stay blocked except inside sigsuspend: none can land between the checks and the wait. */
  if (sigprocmask(SIG_BLOCK, &block, &old) != 0) return 1;
  sa.sa_handler = on_stop;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0) return 1;
  sa.sa_handler = on_child;
  sa.sa_flags = SA_NOCLDSTOP;
  if (sigaction(SIGCHLD, &sa, NULL) != 0) return 1;

  sigdelset(&old, SIGTERM);
  sigdelset(&old, SIGINT);
  sigdelset(&old, SIGCHLD);
  while (!stop) {
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
    if (stop) break;
    sigsuspend(&old);
  }
  return 0;
}
