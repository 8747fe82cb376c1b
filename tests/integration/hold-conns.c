/* hold-conns: a careless or hostile client that holds many control connections open. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "sockhelp.h"

#define MAX_CONNS 4096

/*
 * Usage: hold-conns SOCKET IDLE HALF SECONDS
 * Opens IDLE connections that send nothing and HALF that send half a request, holds
 * them for SECONDS (or until SIGTERM), and prints, once the daemon has closed them or
 * time is up: "opened N closed M timeout T busy B", where T and B count the closed ones
 * whose last words were a request_timeout or a busy error. Prints "ready" once all are
 * connected.
 */
int main(int argc, char **argv)
{
        static struct pollfd fds[MAX_CONNS];
        static int closed[MAX_CONNS], why[MAX_CONNS]; /* 1 timeout, 2 busy */
        int idle, half, n, opened = 0, nclosed = 0, timeouts = 0, busy = 0;
        double end;

        if (argc != 5) {
                fprintf(stderr, "usage: hold-conns SOCKET IDLE HALF SECONDS\n");
                return 2;
        }
        idle = atoi(argv[2]);
        half = atoi(argv[3]);
        n = idle + half;
        /* A path too long for sun_path is a usage error here, not a failed connection. */
        if (n <= 0 || n > MAX_CONNS ||
            strlen(argv[1]) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
                fprintf(stderr, "hold-conns: bad arguments\n");
                return 2;
        }
        catch_term();
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (int i = 0; i < n; i++) {
                int fd = dial(argv[1]);
                if (fd < 0) {
                        fprintf(stderr, "hold-conns: connection %d: %s\n", i, strerror(-fd));
                        return 1;
                }
                if (i >= idle && write(fd, "{\"id\":1,\"cmd\":\"sta", 18) != 18) {
                        fprintf(stderr, "hold-conns: write: %s\n", strerror(errno));
                        return 1;
                }
                fds[i] = (struct pollfd){.fd = fd, .events = POLLIN};
                opened++;
        }
        printf("ready\n");
        end = now_s() + atof(argv[4]);
        while (!terminated && nclosed < n && now_s() < end) {
                if (poll(fds, (nfds_t)n, 100) <= 0)
                        continue;
                for (int i = 0; i < n; i++) {
                        char buf[512];
                        ssize_t r;
                        if (closed[i] || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                                continue;
                        r = read(fds[i].fd, buf, sizeof(buf) - 1);
                        if (r > 0) {
                                buf[r] = '\0';
                                if (strstr(buf, "request_timeout"))
                                        why[i] = 1;
                                else if (strstr(buf, "\"busy\""))
                                        why[i] = 2;
                                continue;
                        }
                        closed[i] = 1;
                        nclosed++;
                        timeouts += why[i] == 1;
                        busy += why[i] == 2;
                        close(fds[i].fd);
                        fds[i].fd = -1;
                }
        }
        printf("opened %d closed %d timeout %d busy %d\n", opened, nclosed, timeouts, busy);
        return 0;
}
