/* sigblock: runs a command with signals blocked, as a careless parent would leave them. */
#define _POSIX_C_SOURCE 200809L /* sigprocmask under -std=c11 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Usage: sigblock SIGNAL... -- COMMAND [ARGS]; SIGNAL is INT, TERM or HUP. */
int main(int argc, char **argv)
{
        static const struct {
                const char *name;
                int sig;
        } names[] = {{"INT", SIGINT}, {"TERM", SIGTERM}, {"HUP", SIGHUP}};
        sigset_t set;
        int i;

        sigemptyset(&set);
        for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
                int sig = 0;
                for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
                        if (strcmp(argv[i], names[k].name) == 0)
                                sig = names[k].sig;
                if (!sig || sigaddset(&set, sig) < 0) {
                        fprintf(stderr, "sigblock: unknown signal '%s'\n", argv[i]);
                        return 2;
                }
        }
        if (i + 1 >= argc) {
                fprintf(stderr, "usage: sigblock SIGNAL... -- COMMAND [ARGS]\n");
                return 2;
        }
        sigprocmask(SIG_BLOCK, &set, NULL);
        execvp(argv[i + 1], argv + i + 1);
        perror(argv[i + 1]);
        return 127;
}
