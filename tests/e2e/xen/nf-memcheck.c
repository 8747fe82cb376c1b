/* nf-memcheck: in-guest memory checker for the Xen E2E; writes and verifies a checksum pattern
 * forever. */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/*
 * Runs inside a domU while dom0 migrates its memory between nodes.  Every
 * pass verifies the whole buffer against the previous pass's pattern, then
 * rewrites it with a new one, and prints one line to the console that dom0
 * reads from the xenconsoled guest log.
 *
 * After each pass it sleeps nine times as long as the pass took (a 10% duty
 * cycle).  A PVH guest whose vCPU spins flat out dies under QEMU's TCG around
 * pause/unpause, on the stock hypervisor as well; a writer that leaves the
 * vCPU idle most of the time still checks every page on every pass.
 */

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t pattern(uint64_t seed, uint64_t i)
{
        uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull ^ seed * 0xd6e8feb86659fd93ull;

        x ^= x >> 29;
        return x * 0xbf58476d1ce4e5b9ull;
}

int main(int argc, char **argv)
{
        size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 32;
        size_t words = mib * 1024 * 1024 / sizeof(uint64_t), i;
        uint64_t *buf = malloc(words * sizeof(uint64_t));
        uint64_t pass, sum, reports = 0;

        if (!buf || !mib) {
                printf("nf-memcheck: cannot allocate %zu MiB\n", mib);
                return 1;
        }
        setvbuf(stdout, NULL, _IOLBF, 0);
        for (i = 0; i < words; i++)
                buf[i] = pattern(0, i);
        printf("nf-memcheck: started, %zu MiB\n", mib);
        for (pass = 1;; pass++) {
                uint64_t bad = 0;
                double t0 = now_s(), idle;
                struct timespec ts;

                sum = 0;
                for (i = 0; i < words; i++) {
                        uint64_t want = pattern(pass - 1, i);

                        if (buf[i] != want) {
                                if (reports++ < 16)
                                        printf("nf-memcheck: CORRUPT pass %llu word %zu: "
                                               "%016llx != %016llx\n",
                                               (unsigned long long)pass, i,
                                               (unsigned long long)buf[i],
                                               (unsigned long long)want);
                                bad++;
                        }
                        sum += buf[i];
                        buf[i] = pattern(pass, i);
                }
                printf("nf-memcheck: pass %llu %s (checksum %016llx, %llu bad words)\n",
                       (unsigned long long)pass, bad ? "FAILED" : "ok", (unsigned long long)sum,
                       (unsigned long long)bad);
                idle = 9 * (now_s() - t0);
                ts.tv_sec = (time_t)idle;
                ts.tv_nsec = (long)((idle - (double)ts.tv_sec) * 1e9);
                nanosleep(&ts, NULL);
        }
}
