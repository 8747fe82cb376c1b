/* ctl-load: hammers the control socket with many clients, or times one client's replies. */
#define _POSIX_C_SOURCE 200809L
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "sockhelp.h"

#define MAX_CLIENTS 1024

/* Counts the newlines in what fd has for us; -1 when it hung up. */
static long drain(int fd)
{
        static char buf[1 << 18];
        ssize_t n = read(fd, buf, sizeof(buf));
        long lines = 0;
        if (n <= 0)
                return -1;
        for (char *p = buf, *end = buf + n; (p = memchr(p, '\n', (size_t)(end - p))); p++)
                lines++;
        return lines;
}

static int cmp(const void *a, const void *b)
{
        double x = *(const double *)a, y = *(const double *)b;
        return x < y ? -1 : x > y;
}

/* CLIENTS connections each send CMD as soon as their last reply is in, until SIGTERM or
 * SECONDS; prints "hammer N requests in S s". */
static int hammer(const char *sock, int clients, const char *cmd, double seconds)
{
        static struct pollfd fds[MAX_CLIENTS];
        char req[256];
        int len = snprintf(req, sizeof(req), "{\"id\":1,\"cmd\":\"%s\"}\n", cmd);
        long replies = 0;
        double t0 = now_s();

        if (clients <= 0 || clients > MAX_CLIENTS)
                return 2;
        for (int i = 0; i < clients; i++) {
                int fd = dial(sock);
                if (fd < 0) {
                        fprintf(stderr, "ctl-load: %s: %s\n", sock, strerror(-fd));
                        return 1;
                }
                fds[i] = (struct pollfd){.fd = fd, .events = POLLIN};
                if (write(fd, req, (size_t)len) != len)
                        return 1;
        }
        printf("ready\n");
        fflush(stdout);
        while (!terminated && now_s() - t0 < seconds) {
                if (poll(fds, (nfds_t)clients, 100) <= 0)
                        continue;
                for (int i = 0; i < clients; i++) {
                        if (!fds[i].revents)
                                continue;
                        long l = drain(fds[i].fd);
                        if (l < 0)
                                return 1;
                        replies += l;
                        if (l > 0 && write(fds[i].fd, req, (size_t)len) != len)
                                return 1;
                }
        }
        printf("hammer %ld requests in %.1f s\n", replies, now_s() - t0);
        return 0;
}

/* SAMPLES times (or until SIGTERM), every INTERVAL_MS, connects as numaflipctl does, sends
 * CMD and waits for the reply; prints "probe p50 X p99 Y max Z ms (N samples)", connecting
 * included. */
static int probe(const char *sock, const char *cmd, int samples, double interval_ms)
{
        char req[256];
        int len = snprintf(req, sizeof(req), "{\"id\":2,\"cmd\":\"%s\"}\n", cmd);
        double *lat = calloc((size_t)samples, sizeof(*lat));

        if (samples <= 0 || !lat)
                return 2;
        int n = 0;
        for (; n < samples && !terminated; n++) {
                struct timespec gap = {
                    .tv_sec = (time_t)(interval_ms / 1000),
                    .tv_nsec =
                        (long)((interval_ms - 1000 * (double)(time_t)(interval_ms / 1000)) * 1e6)};
                nanosleep(&gap, NULL);
                double t0 = now_s();
                int fd = dial(sock);
                long l = -1;
                if (fd < 0)
                        fprintf(stderr, "ctl-load: %s: %s\n", sock, strerror(-fd));
                else if (write(fd, req, (size_t)len) == len)
                        while ((l = drain(fd)) == 0)
                                ;
                if (l < 0) {
                        if (fd >= 0)
                                close(fd);
                        free(lat);
                        return 1;
                }
                lat[n] = (now_s() - t0) * 1000.0;
                close(fd);
        }
        if (n == 0) {
                free(lat);
                return 1;
        }
        qsort(lat, (size_t)n, sizeof(*lat), cmp);
        printf("probe p50 %.3f p99 %.3f max %.3f ms (%d samples)\n", lat[n / 2],
               lat[(n * 99) / 100], lat[n - 1], n);
        free(lat);
        return 0;
}

/*
 * Usage: ctl-load hammer SOCKET CLIENTS CMD SECONDS
 *        ctl-load probe SOCKET CMD SAMPLES INTERVAL_MS
 * Run the probe as its own process: it sleeps between samples, as an operator's
 * numaflipctl does, while the hammer never does.
 */
int main(int argc, char **argv)
{
        catch_term();
        if (argc == 6 && strcmp(argv[1], "hammer") == 0)
                return hammer(argv[2], atoi(argv[3]), argv[4], atof(argv[5]));
        if (argc == 6 && strcmp(argv[1], "probe") == 0)
                return probe(argv[2], argv[3], atoi(argv[4]), atof(argv[5]));
        fprintf(stderr, "usage: ctl-load hammer SOCKET CLIENTS CMD SECONDS\n"
                        "       ctl-load probe SOCKET CMD SAMPLES INTERVAL_MS\n");
        return 2;
}
