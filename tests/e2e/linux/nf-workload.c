/* nf-workload: a process whose memory the linux E2E moves; it writes and verifies a pattern all
 * along. */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <numa.h>
#include <numaif.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MIB (1024ull * 1024)

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
        (void)sig;
        stop = 1;
}

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The word i holds in generation gen: any change to it shows. */
static uint64_t pattern(uint64_t i, uint64_t gen)
{
        uint64_t z = i * 0x9e3779b97f4a7c15ull ^ gen;
        return z ^ (z >> 29);
}

static void usage(void)
{
        fprintf(stderr,
                "usage: nf-workload [-s MIB] [-e MIB] [-t SECONDS] [-a] [-p PIDFILE] [-r REPORT]\n"
                "  -s MIB      memory under the process's own policy (default 256)\n"
                "  -e MIB      extra memory bound to node 1 with mbind (default 0)\n"
                "  -t SECONDS  exit by itself after this long (default: at SIGTERM)\n"
                "  -a          2 MiB aligned, as QEMU maps a guest's RAM (all of it can be THP)\n"
                "  -p PIDFILE  written once the memory is touched\n"
                "  -r REPORT   passes and the longest stall, rewritten each pass\n");
}

static int write_file(const char *path, const char *text)
{
        char tmp[4096];
        FILE *f;

        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        if (!(f = fopen(tmp, "w")))
                return -errno;
        fputs(text, f);
        if (fclose(f) != 0 || rename(tmp, path) != 0)
                return -errno;
        return 0;
}

int main(int argc, char **argv)
{
        const char *pidfile = NULL, *report = NULL, *base = strrchr(argv[0], '/');
        uint64_t size = 256 * MIB, extra = 0, secs = 0;
        int drifted = 0, aligned = 0;
        int opt;

        base = base ? base + 1 : argv[0];
        if (strncmp(base, "qemu-system-", 12) == 0) {
                /* Started under QEMU's name with a real QEMU command line: only be found. */
                size = 16 * MIB;
        } else {
                while ((opt = getopt(argc, argv, "s:e:t:p:r:adh")) != -1) {
                        switch (opt) {
                        case 's':
                                size = strtoull(optarg, NULL, 10) * MIB;
                                break;
                        case 'e':
                                extra = strtoull(optarg, NULL, 10) * MIB;
                                break;
                        case 't':
                                secs = strtoull(optarg, NULL, 10);
                                break;
                        case 'd':
                                drifted = 1;
                                break;
                        case 'a':
                                aligned = 1;
                                break;
                        case 'p':
                                pidfile = optarg;
                                break;
                        case 'r':
                                report = optarg;
                                break;
                        default:
                                usage();
                                return opt == 'h' ? 0 : 2;
                        }
                }
        }
        uint64_t total = size + extra, words = total / 8;
        if (!total) {
                usage();
                return 2;
        }
        uint64_t slack = aligned ? 2 * MIB : 0;
        char *map =
            mmap(NULL, total + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (map == MAP_FAILED) {
                perror("nf-workload: mmap");
                return 1;
        }
        uint64_t *mem = (uint64_t *)map;
        if (aligned) {
                /* Over-map and trim to a 2 MiB boundary, as QEMU does for guest RAM. */
                uintptr_t a = ((uintptr_t)map + slack - 1) & ~(uintptr_t)(slack - 1);
                if (a > (uintptr_t)map)
                        munmap(map, a - (uintptr_t)map);
                if ((uintptr_t)map + slack > a)
                        munmap((char *)a + total, (uintptr_t)map + slack - a);
                mem = (uint64_t *)a;
                madvise(mem, total, MADV_HUGEPAGE);
        }
        if ((extra || drifted) && (numa_available() < 0 || numa_max_node() < 1)) {
                fprintf(stderr, "nf-workload: -e and -d need a node 1\n");
                return 1;
        }
        if (extra)
                numa_tonode_memory((char *)mem + size, extra, 1);
        if (drifted)
                numa_tonode_memory(mem, size, 1);
        for (uint64_t i = 0; i < words; i++)
                mem[i] = pattern(i, 0);
        if (drifted && mbind(mem, size, MPOL_DEFAULT, NULL, 0, 0) < 0) {
                perror("nf-workload: mbind");
                return 1;
        }
        signal(SIGTERM, on_term);
        signal(SIGINT, on_term);
        if (pidfile) {
                char buf[32];
                snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
                if (write_file(pidfile, buf) < 0) {
                        perror("nf-workload: pidfile");
                        return 1;
                }
        }
        /* Each pass checks every word and writes the next generation; progress is marked
         * every MiB so a stall (a stopped process) shows as a long gap. */
        uint64_t gen = 0, passes = 0, start = now_ns(), last = start, max_gap = 0;
        const uint64_t mark = MIB / 8;
        while (!stop && (!secs || now_ns() - start < secs * 1000000000ull)) {
                for (uint64_t i = 0; i < words; i++) {
                        if (mem[i] != pattern(i, gen)) {
                                printf("nf-workload: CORRUPT word %" PRIu64 " pass %" PRIu64 "\n",
                                       i, passes);
                                fflush(stdout);
                                return 3;
                        }
                        mem[i] = pattern(i, gen + 1);
                        if (i % mark == mark - 1) {
                                uint64_t t = now_ns();
                                if (t - last > max_gap)
                                        max_gap = t - last;
                                last = t;
                        }
                }
                gen++;
                passes++;
                if (report) {
                        char buf[160];
                        double el = (double)(now_ns() - start) / 1e9;
                        snprintf(buf, sizeof(buf),
                                 "passes %" PRIu64 " seconds %.3f max_gap_ms %" PRIu64 "\n", passes,
                                 el, max_gap / 1000000);
                        write_file(report, buf);
                }
        }
        printf("nf-workload: ok passes %" PRIu64 " seconds %.3f max_gap_ms %" PRIu64 "\n", passes,
               (double)(now_ns() - start) / 1e9, max_gap / 1000000);
        return 0;
}
