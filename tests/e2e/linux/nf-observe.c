/* nf-observe: times one placement observation of a process by full scan, sampled scan and
 * numa_maps. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "numaflip/backend.h"

static uint64_t now_ns(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double share(const uint64_t *pages, unsigned nr, unsigned home)
{
        uint64_t total = 0;

        for (unsigned i = 0; i < nr; i++)
                total += pages[i];
        return total ? 1.0 - (double)pages[home] / (double)total : 0.0;
}

/* Opens the linux backend on one process found by pid, with scan = full or sample. */
static int observe(const char *scan, const char *pid, unsigned home, double *ms, double *sh,
                   char *desc, size_t desclen)
{
        const struct nf_backend_ops *ops = &nf_backend_linux_ops;
        struct nf_clock clock = {0};
        struct nf_backend_env env = {.clock = &clock};
        struct nf_guest_info g[64];
        struct nf_topology topo;
        struct nf_backend *be;
        uint64_t pages[NF_MAX_NODES];
        char err[256];
        size_t n;
        void *conf = ops->conf_new();
        int rc;

        if (!conf || ops->conf_key(conf, NULL, NULL, "scan", scan, err, sizeof(err)) < 0 ||
            ops->conf_key(conf, "vm", "target", "pid", pid, err, sizeof(err)) < 0 ||
            ops->conf_key(conf, NULL, NULL, "qemu", "no", err, sizeof(err)) < 0)
                return -EINVAL;
        env.conf = conf;
        if ((rc = ops->open(&env, &be, err, sizeof(err))) < 0) {
                fprintf(stderr, "nf-observe: %s\n", err);
                ops->conf_free(conf);
                return rc;
        }
        ops->topology(be, &topo);
        rc = ops->list_guests(be, g, 64, &n);
        if (rc == 0 && n != 1)
                rc = -ESRCH;
        if (rc == 0) {
                uint64_t t0 = now_ns();
                rc = ops->guest_pages(be, g[0].id, pages, topo.nr_nodes);
                *ms = (double)(now_ns() - t0) / 1e6;
                *sh = share(pages, topo.nr_nodes, home);
        }
        snprintf(desc, desclen, "%s", ops->describe(be));
        ops->close(be);
        ops->conf_free(conf);
        return rc;
}

/* The kernel's own account: numa_maps read and summed. */
static int numa_maps(const char *pid, unsigned home, double *ms, double *sh)
{
        char path[64], tok[64];
        uint64_t pages[NF_MAX_NODES] = {0};
        uint64_t t0 = now_ns();
        FILE *f;

        snprintf(path, sizeof(path), "/proc/%s/numa_maps", pid);
        if (!(f = fopen(path, "r")))
                return -errno;
        while (fscanf(f, "%63s", tok) == 1) {
                unsigned node;
                unsigned long long v;
                if (sscanf(tok, "N%u=%llu", &node, &v) == 2 && node < NF_MAX_NODES)
                        pages[node] += v;
        }
        fclose(f);
        *ms = (double)(now_ns() - t0) / 1e6;
        *sh = share(pages, NF_MAX_NODES, home);
        return 0;
}

int main(int argc, char **argv)
{
        double ms[3], sh[3];
        char desc[2][320];

        if (argc != 3) {
                fprintf(stderr, "usage: nf-observe PID HOME-NODE\n");
                return 2;
        }
        unsigned home = (unsigned)strtoul(argv[2], NULL, 10);
        if (observe("full", argv[1], home, &ms[0], &sh[0], desc[0], sizeof(desc[0])) < 0 ||
            observe("sample", argv[1], home, &ms[1], &sh[1], desc[1], sizeof(desc[1])) < 0 ||
            numa_maps(argv[1], home, &ms[2], &sh[2]) < 0) {
                fprintf(stderr, "nf-observe: cannot observe pid %s\n", argv[1]);
                return 1;
        }
        printf("full_ms %.2f full_share %.4f sample_ms %.2f sample_share %.4f numa_maps_ms %.2f "
               "numa_maps_share %.4f\n",
               ms[0], sh[0], ms[1], sh[1], ms[2], sh[2]);
        printf("# %s\n", desc[1]);
        return 0;
}
