/* Test helper: stands in for systemd's notify socket and prints what it receives. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* usage: notify-listen PATH SECONDS — one line per datagram, newlines as spaces. */
int main(int argc, char **argv)
{
        if (argc != 3) {
                fprintf(stderr, "usage: notify-listen PATH SECONDS\n");
                return 2;
        }
        struct sockaddr_un sun = {.sun_family = AF_UNIX};
        if (strlen(argv[1]) >= sizeof(sun.sun_path)) {
                fprintf(stderr, "notify-listen: path too long\n");
                return 2;
        }
        snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", argv[1]);
        int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
        unlink(argv[1]);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
                fprintf(stderr, "notify-listen: %s: %s\n", argv[1], strerror(errno));
                return 1;
        }
        time_t end = time(NULL) + atoi(argv[2]);
        setvbuf(stdout, NULL, _IOLBF, 0);
        while (time(NULL) < end) {
                struct pollfd p = {.fd = fd, .events = POLLIN};
                if (poll(&p, 1, 100) <= 0)
                        continue;
                char buf[4096];
                ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
                if (n <= 0)
                        continue;
                buf[n] = '\0';
                for (ssize_t i = 0; i < n; i++)
                        if (buf[i] == '\n')
                                buf[i] = ' ';
                printf("%s\n", buf);
        }
        unlink(argv[1]);
        return 0;
}
