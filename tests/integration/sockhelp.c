/* sockhelp: what the control-socket test clients share: dialling, SIGTERM, a clock. */
#define _POSIX_C_SOURCE 200809L
#include "sockhelp.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

volatile sig_atomic_t terminated;

static void on_term(int sig)
{
        (void)sig;
        terminated = 1;
}

void catch_term(void)
{
        /* SA_RESTART: a request in flight when SIGTERM comes is finished, not cut short
         * (signal() under strict POSIX would neither restart nor stay installed). */
        struct sigaction sa = {.sa_handler = on_term, .sa_flags = SA_RESTART};

        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

double now_s(void)
{
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int dial(const char *path)
{
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(path) >= sizeof(sun.sun_path))
                return -ENAMETOOLONG;
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (fd < 0)
                return -errno;
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                int e = errno;
                close(fd);
                return -e;
        }
        return fd;
}
