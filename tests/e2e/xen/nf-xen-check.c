/* nf-xen-check: dom0 checks of the numaflip hypervisor patch against the running hypervisor (Xen
 * E2E). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenforeignmemory.h>
#include <xenguest.h>

#include "xen_domctl.h"

/*
 * Each check prints one line "NF-RESULT PASS|FAIL|SKIP <label>: <detail>"
 * that the host-side harness collects, and exits 0 on PASS/SKIP, 1 on FAIL.
 * Usage errors exit 2.
 */

#define MAXN 64
#define MAXDOM 64

static xc_interface *xch;
static struct nf_xen_domctl_ctx *dctl;

static int result(const char *verdict, const char *label, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int result(const char *verdict, const char *label, const char *fmt, ...)
{
        va_list ap;

        printf("NF-RESULT %s %s: ", verdict, label);
        va_start(ap, fmt);
        vprintf(fmt, ap);
        va_end(ap);
        printf("\n");
        fflush(stdout);
        return strcmp(verdict, "FAIL") ? 0 : 1;
}

static void sleep_ms(long ms)
{
        struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

        nanosleep(&ts, NULL);
}

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

struct counts {
        uint32_t domid;
        uint32_t nr;
        uint64_t n[MAXN];
        uint64_t total;
};

static int read_counts(uint32_t domid, struct counts *c)
{
        uint32_t tot;
        int rc;

        c->domid = domid;
        c->nr = MAXN;
        rc = nf_xen_domctl_node_pages(dctl, (uint16_t)domid, c->n, &c->nr, &tot);
        c->total = tot;
        return rc;
}

static void fmt_counts(const struct counts *c, char *buf, size_t len)
{
        size_t off = 0;
        uint32_t i;

        buf[0] = 0;
        for (i = 0; i < c->nr && off < len; i++)
                off += (size_t)snprintf(buf + off, len - off, "%snode%u=%" PRIu64, i ? " " : "", i,
                                        c->n[i]);
}

static int list_domains(uint32_t *ids, int max)
{
        xc_domaininfo_t info[MAXDOM];
        int n, i, k = 0;

        n = xc_domain_getinfolist(xch, 0, MAXDOM, info);
        for (i = 0; i < n && k < max; i++)
                if (!(info[i].flags & XEN_DOMINF_dying))
                        ids[k++] = info[i].domain;
        return k;
}

/* The 'u' debug key's last "Memory location of each domain" block. */
struct udump {
        int nr;
        struct counts dom[MAXDOM];
};

static int read_u_dump(struct udump *u)
{
        static char buf[1 << 20];
        unsigned int size = sizeof(buf) - 1, index = 0;
        char *p, *line, *save = NULL;
        struct counts *cur = NULL;

        if (xc_send_debug_keys(xch, "u"))
                return -errno;
        /* The key handler runs synchronously in the sysctl. */
        if (xc_readconsolering(xch, buf, &size, 0, 0, &index))
                return -errno;
        buf[size] = 0;
        /* Guests' raw console output can carry NULs; keep the text searchable. */
        for (unsigned int k = 0; k < size; k++)
                if (!buf[k])
                        buf[k] = ' ';
        p = NULL;
        for (char *q = buf; (q = strstr(q, "Memory location of each domain:")); q++)
                p = q;
        if (!p)
                return -ENOENT;
        u->nr = 0;
        for (line = strtok_r(p, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                unsigned int d, node;
                unsigned long long pages;
                char *s = strstr(line, "Domain ");
                char *t = strstr(line, "Node ");

                if (s && sscanf(s, "Domain %u (total: %llu):", &d, &pages) == 2) {
                        if (u->nr == MAXDOM)
                                break;
                        cur = &u->dom[u->nr++];
                        memset(cur, 0, sizeof(*cur));
                        cur->domid = d;
                        cur->total = pages;
                } else if (cur && t && !strstr(line, "vnode") &&
                           sscanf(t, "Node %u: %llu", &node, &pages) == 2 && node < MAXN) {
                        cur->n[node] = pages;
                        if (node + 1 > cur->nr)
                                cur->nr = node + 1;
                } else if (cur && !strstr(line, "vnodes") && !strstr(line, "pnode") &&
                           !strstr(line, "vcpus") && !strstr(line, "vmemrange") &&
                           !strstr(line, "Domain") && !strstr(line, "Node") &&
                           !strstr(line, "...") && strstr(line, "(XEN)") && !strstr(line, "0x")) {
                        /* Past the block. */
                        break;
                }
        }
        return 0;
}

static bool same_nodes(const struct counts *a, const struct counts *b)
{
        uint32_t i, nr = a->nr > b->nr ? a->nr : b->nr;

        for (i = 0; i < nr; i++)
                if ((i < a->nr ? a->n[i] : 0) != (i < b->nr ? b->n[i] : 0))
                        return false;
        return true;
}

/* Compare the counters of every domain with the 'u' dump, at rest. */
static int cmd_compare_u(const char *label)
{
        static struct udump u;
        struct counts before[MAXDOM], after[MAXDOM];
        uint32_t ids[MAXDOM];
        char detail[4096], b1[512], b2[512];
        int attempt, n, i, j, rc;

        for (attempt = 0; attempt < 8; attempt++) {
                size_t off = 0;
                bool stable = true, equal = true;

                if (attempt)
                        sleep_ms(1000);
                n = list_domains(ids, MAXDOM);
                if (n <= 0)
                        return result("FAIL", label, "cannot list domains");
                for (i = 0; i < n; i++)
                        if ((rc = read_counts(ids[i], &before[i])))
                                return result("FAIL", label, "node_pages(d%u): %s", ids[i],
                                              strerror(-rc));
                if ((rc = read_u_dump(&u)))
                        return result("FAIL", label, "cannot read the 'u' dump: %s", strerror(-rc));
                for (i = 0; i < n; i++) {
                        if (read_counts(ids[i], &after[i]) || !same_nodes(&before[i], &after[i]))
                                stable = false;
                }
                if (!stable || u.nr != n)
                        continue; /* something moved; try again at rest */
                detail[0] = 0;
                for (i = 0; i < n; i++) {
                        const struct counts *d = NULL;

                        for (j = 0; j < u.nr; j++)
                                if (u.dom[j].domid == ids[i])
                                        d = &u.dom[j];
                        fmt_counts(&before[i], b1, sizeof(b1));
                        if (!d) {
                                equal = false;
                                off += (size_t)snprintf(detail + off, sizeof(detail) - off,
                                                        "d%u missing from dump; ", ids[i]);
                                continue;
                        }
                        fmt_counts(d, b2, sizeof(b2));
                        if (!same_nodes(&before[i], d)) {
                                equal = false;
                                off +=
                                    (size_t)snprintf(detail + off, sizeof(detail) - off,
                                                     "d%u domctl {%s} != u {%s}; ", ids[i], b1, b2);
                        } else {
                                off += (size_t)snprintf(detail + off, sizeof(detail) - off,
                                                        "d%u {%s}; ", ids[i], b1);
                        }
                        if (off >= sizeof(detail))
                                off = sizeof(detail) - 1;
                }
                return result(equal ? "PASS" : "FAIL", label, "%d domains: %s", n, detail);
        }
        return result("FAIL", label, "domains never came to rest (8 attempts)");
}

static int cmd_probe(const char *label, bool expect_present)
{
        int rc = nf_xen_domctl_probe(dctl);

        if (!rc)
                return result(expect_present ? "PASS" : "FAIL", label,
                              "XEN_DOMCTL_numaflip present");
        if (nf_xen_domctl_absent(rc))
                return result(expect_present ? "FAIL" : "PASS", label,
                              "%s; per-node counts only from the 'u' dump",
                              nf_xen_domctl_probe_str(rc));
        return result("FAIL", label, "unexpected error %d (%s): %s", rc, strerror(-rc),
                      nf_xen_domctl_probe_str(rc));
}

static int cmd_counts(uint32_t domid)
{
        struct counts c;
        char buf[512];
        int rc = read_counts(domid, &c);

        if (rc) {
                fprintf(stderr, "node_pages(d%u): %s\n", domid, strerror(-rc));
                return 1;
        }
        fmt_counts(&c, buf, sizeof(buf));
        printf("d%u tot=%" PRIu64 " %s\n", domid, c.total, buf);
        return 0;
}

static int node_free_pages(uint64_t *freep, unsigned int *nr)
{
        xc_meminfo_t *mem;
        uint32_t *dist;
        unsigned int n = 0, i;
        int rc = 0;

        /* First ask how many nodes there are, then size the arrays to match. */
        if (xc_numainfo(xch, &n, NULL, NULL) || !n || n > MAXN)
                return errno ? -errno : -EIO;
        mem = calloc(n, sizeof(*mem));
        dist = calloc((size_t)n * n, sizeof(*dist));
        if (!mem || !dist)
                rc = -ENOMEM;
        else if (xc_numainfo(xch, &n, mem, dist))
                rc = errno ? -errno : -EIO;
        for (i = 0; !rc && i < n; i++)
                freep[i] = mem[i].memfree / 4096;
        *nr = n;
        free(mem);
        free(dist);
        return rc;
}

/* Pool set/get: frames are reserved on, and released to, the right node. */
static int cmd_pool(const char *label, uint32_t node, uint64_t frames)
{
        struct nf_xen_numaflip_pool p;
        uint64_t f0[MAXN], f1[MAXN], f2[MAXN];
        unsigned int nr, i, other;
        const int64_t slack = 256; /* other allocations while we look */
        int rc;

        if ((rc = node_free_pages(f0, &nr)) || node >= nr || nr < 2)
                return result("FAIL", label, "xc_numainfo: %s", strerror(-rc));
        other = node ? 0 : 1;
        rc = nf_xen_domctl_pool_set(dctl, node, frames, &p);
        if (rc)
                return result("FAIL", label, "pool_set(%u, %" PRIu64 "): %s", node, frames,
                              strerror(-rc));
        node_free_pages(f1, &nr);
        if (p.held != frames || p.target != frames)
                return result("FAIL", label,
                              "after set: target %" PRIu64 " held %" PRIu64 ", want %" PRIu64,
                              p.target, p.held, frames);
        rc = nf_xen_domctl_pool_get(dctl, node, &p);
        if (rc || p.held != frames)
                return result("FAIL", label, "pool_get: rc %d held %" PRIu64, rc, p.held);
        rc = nf_xen_domctl_pool_set(dctl, node, 0, &p);
        node_free_pages(f2, &nr);
        if (rc || p.held)
                return result("FAIL", label, "release: rc %d held %" PRIu64, rc, p.held);
        {
                int64_t took = (int64_t)f0[node] - (int64_t)f1[node];
                int64_t back = (int64_t)f2[node] - (int64_t)f1[node];
                int64_t oth = (int64_t)f1[other] - (int64_t)f0[other];
                bool ok = llabs(took - (int64_t)frames) <= slack &&
                          llabs(back - (int64_t)frames) <= slack && llabs(oth) <= slack;

                for (i = 0; i < nr; i++)
                        printf("node %u free pages: before %" PRIu64 ", pool set %" PRIu64
                               ", released %" PRIu64 "\n",
                               i, f0[i], f1[i], f2[i]);
                return result(ok ? "PASS" : "FAIL", label,
                              "pool of node %u: %" PRIu64 " frames; node %u free fell by %" PRId64
                              " and rose by %" PRId64 " pages, node %u changed by %" PRId64,
                              node, frames, node, took, back, other, oth);
        }
}

static int run_flipload(const char *path, uint32_t domid, unsigned long count, int pool_node)
{
        char d[16], n[32], p[16];
        pid_t pid;
        int st;

        snprintf(d, sizeof(d), "%u", domid);
        snprintf(n, sizeof(n), "%lu", count);
        snprintf(p, sizeof(p), "%d", pool_node);
        fflush(stdout);
        pid = fork();
        if (pid < 0)
                return -errno;
        if (!pid) {
                if (pool_node >= 0)
                        execl(path, path, "-d", d, "-n", n, "-p", p, (char *)NULL);
                else
                        execl(path, path, "-d", d, "-n", n, (char *)NULL);
                _exit(127);
        }
        if (waitpid(pid, &st, 0) < 0)
                return -errno;
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -EIO;
}

/* One flipload run against @domid with the page counts and @gnode's pool read around it. */
struct flip_run {
        int rc;                             /* flipload's */
        int64_t dd, dg;                     /* change on dom0's node, on the guest's node */
        struct nf_xen_numaflip_pool p0, p1; /* the pool before and after */
};

static struct flip_run measured_flips(const char *flipload, uint32_t domid, uint32_t dnode,
                                      uint32_t gnode, unsigned long nflips, int pool_node)
{
        struct flip_run r;
        struct counts c0, c1;

        read_counts(domid, &c0);
        nf_xen_domctl_pool_get(dctl, gnode, &r.p0);
        r.rc = run_flipload(flipload, domid, nflips, pool_node);
        read_counts(domid, &c1);
        nf_xen_domctl_pool_get(dctl, gnode, &r.p1);
        r.dd = (int64_t)c1.n[dnode] - (int64_t)c0.n[dnode];
        r.dg = (int64_t)c1.n[gnode] - (int64_t)c0.n[gnode];
        return r;
}

/*
 * Flip load against @domid (home node @gnode) from dom0 (node @dnode):
 * without a pool each flip moves one page to dom0's node; with a full pool
 * on the guest's node none do (hits); an exhausted pool falls back.
 */
static int cmd_flip(const char *label, uint32_t domid, uint32_t dnode, uint32_t gnode,
                    const char *flipload, unsigned long nflips)
{
        struct flip_run r;
        char l[128];
        int fails = 0;
        const unsigned long small = 32;

        /* 1. no pool */
        nf_xen_domctl_pool_enable(dctl, gnode, false, NULL);
        nf_xen_domctl_set_receiver(dctl, (uint16_t)domid, false);
        r = measured_flips(flipload, domid, dnode, gnode, nflips, -1);
        snprintf(l, sizeof(l), "%s-nopool", label);
        /*
         * The frames given back come from a reserve flipload sets aside on the
         * guest's node during the run, so only dom0's node is expected to move.
         */
        fails +=
            result(!r.rc && r.dd == (int64_t)nflips && r.p1.misses - r.p0.misses == nflips ? "PASS"
                                                                                           : "FAIL",
                   l,
                   "%lu flips without pool: d%u node%u %+" PRId64 ", node%u %+" PRId64
                   ", misses +%" PRIu64 ", hits +%" PRIu64 " (flipload rc %d)",
                   nflips, domid, dnode, r.dd, gnode, r.dg, r.p1.misses - r.p0.misses,
                   r.p1.hits - r.p0.hits, r.rc);

        /* 2. a pool on the guest's node, refilled by the exchange */
        nf_xen_domctl_set_receiver(dctl, (uint16_t)domid, true);
        nf_xen_domctl_pool_set(dctl, gnode, 64, NULL);
        nf_xen_domctl_pool_enable(dctl, gnode, true, NULL);
        r = measured_flips(flipload, domid, dnode, gnode, nflips, (int)gnode);
        snprintf(l, sizeof(l), "%s-pool", label);
        fails += result(!r.rc && r.dd == 0 && r.p1.hits - r.p0.hits == nflips &&
                                r.p1.handed_out - r.p0.handed_out == nflips &&
                                r.p1.fallbacks == r.p0.fallbacks && r.p1.held == 64
                            ? "PASS"
                            : "FAIL",
                        l,
                        "%lu flips from pool of node %u: d%u node%u %+" PRId64 ", hits +%" PRIu64
                        ", misses +%" PRIu64 ", handed out +%" PRIu64 ", fallbacks +%" PRIu64
                        ", held %" PRIu64 "/64 (flipload rc %d)",
                        nflips, gnode, domid, dnode, r.dd, r.p1.hits - r.p0.hits,
                        r.p1.misses - r.p0.misses, r.p1.handed_out - r.p0.handed_out,
                        r.p1.fallbacks - r.p0.fallbacks, r.p1.held, r.rc);

        /* 3. a small pool, not refilled: it runs dry and falls back */
        nf_xen_domctl_set_receiver(dctl, (uint16_t)domid, false);
        nf_xen_domctl_pool_set(dctl, gnode, small, NULL);
        r = measured_flips(flipload, domid, dnode, gnode, nflips, (int)gnode);
        snprintf(l, sizeof(l), "%s-fallback", label);
        fails += result(
            !r.rc && r.p1.handed_out - r.p0.handed_out == small &&
                    r.p1.fallbacks - r.p0.fallbacks == nflips - small &&
                    r.dd == (int64_t)(nflips - small) && r.p1.held == 0 &&
                    r.p1.hits - r.p0.hits == small
                ? "PASS"
                : "FAIL",
            l,
            "%lu flips, pool of %lu not refilled: handed out +%" PRIu64 ", fallbacks +%" PRIu64
            ", hits +%" PRIu64 ", misses +%" PRIu64 ", d%u node%u %+" PRId64 " (flipload rc %d)",
            nflips, small, r.p1.handed_out - r.p0.handed_out, r.p1.fallbacks - r.p0.fallbacks,
            r.p1.hits - r.p0.hits, r.p1.misses - r.p0.misses, domid, dnode, r.dd, r.rc);

        nf_xen_domctl_pool_set(dctl, gnode, 0, NULL);
        nf_xen_domctl_pool_enable(dctl, gnode, false, NULL);
        return fails ? 1 : 0;
}

static int cmd_pool_set(uint32_t node, uint64_t frames)
{
        struct nf_xen_numaflip_pool p;
        int rc = nf_xen_domctl_pool_set(dctl, node, frames, &p);

        if (rc) {
                fprintf(stderr, "pool_set(%u, %" PRIu64 "): %s\n", node, frames, strerror(-rc));
                return 1;
        }
        printf("pool node %u: target %" PRIu64 " held %" PRIu64 " handed out %" PRIu64
               " hits %" PRIu64 " misses %" PRIu64 " fallbacks %" PRIu64 " enabled %u\n",
               node, p.target, p.held, p.handed_out, p.hits, p.misses, p.fallbacks, p.enabled);
        return 0;
}

/* libxl caps a domain's maximum at its memory + 1 MiB; flips need more. */
static int cmd_setmaxmem(uint32_t domid, uint64_t kib)
{
        if (xc_domain_setmaxmem(xch, domid, kib)) {
                fprintf(stderr, "setmaxmem(d%u, %" PRIu64 " KiB): %s\n", domid, kib,
                        strerror(errno));
                return 1;
        }
        return 0;
}

static int cmd_migrate_pv(const char *label, uint32_t domid)
{
        struct nf_xen_numaflip_migrate io = {.from_nodes = 1, .max_pages = 1024};
        struct counts c0, c1;
        char b0[512], b1[512];
        int rc;

        read_counts(domid, &c0);
        rc = nf_xen_domctl_migrate(dctl, (uint16_t)domid, 1, &io);
        read_counts(domid, &c1);
        fmt_counts(&c0, b0, sizeof(b0));
        fmt_counts(&c1, b1, sizeof(b1));
        return result(rc == -EOPNOTSUPP && same_nodes(&c0, &c1) ? "PASS" : "FAIL", label,
                      "migrate on PV d%u: %s (%d); counts {%s} -> {%s}", domid, strerror(-rc), rc,
                      b0, b1);
}

/* Migrate everything movable of @domid from node @from to node @to. */
static int cmd_migrate(const char *label, uint32_t domid, uint32_t from, uint32_t to,
                       unsigned int batch)
{
        struct nf_xen_numaflip_migrate io = {.from_nodes = 1ull << from};
        struct counts c0, c1;
        char b0[512], b1[512];
        unsigned long moved = 0, calls = 0, pass_skipped = 0, last_skipped = 0;
        uint64_t remaining = 0;
        double t0 = now_s(), worst = 0;
        int rc = 0, passes = 0;

        read_counts(domid, &c0);
        while (now_s() - t0 < 300) {
                double t = now_s();

                io.max_pages = batch;
                rc = nf_xen_domctl_migrate(dctl, (uint16_t)domid, to, &io);
                t = now_s() - t;
                if (t > worst)
                        worst = t;
                calls++;
                if (rc)
                        break;
                moved += io.moved;
                pass_skipped += io.skipped;
                remaining = io.remaining;
                if (io.done) {
                        passes++;
                        last_skipped = pass_skipped;
                        /* A full pass that moved nothing: all that can move has. */
                        if (remaining <= last_skipped || passes >= 3)
                                break;
                        pass_skipped = 0;
                }
                /* Let the guest run between batches. */
                sleep_ms(20);
        }
        read_counts(domid, &c1);
        fmt_counts(&c0, b0, sizeof(b0));
        fmt_counts(&c1, b1, sizeof(b1));
        return result(!rc && remaining <= last_skipped && moved > 0 && c1.n[from] == remaining &&
                              c1.n[to] >= c0.n[to] + moved - 0
                          ? "PASS"
                          : "FAIL",
                      label,
                      "d%u node%u->node%u: moved %lu in %lu calls of <=%u pages "
                      "(longest pause %.3f s), %" PRIu64 " left on node%u (%lu unmovable "
                      "in the last pass), rc %d; counts {%s} -> {%s}",
                      domid, from, to, moved, calls, batch, worst, remaining, from, last_skipped,
                      rc, b0, b1);
}

/* An empty, never-run PV domain with @mib MiB of memory (no kernel needed). */
static int make_domain(uint32_t mib, uint32_t *domid)
{
        struct xen_domctl_createdomain cfg = {
            .max_vcpus = 1,
            .max_evtchn_port = 1023,
            .max_grant_frames = 1,
            .max_maptrack_frames = 0,
            .grant_opts = XEN_DOMCTL_GRANT_version(1),
        };
        xen_pfn_t *pfns;
        unsigned long i, nr = (unsigned long)mib / 2; /* 2 MiB extents */
        int rc = 0;

        *domid = 0;
        if (xc_domain_create(xch, domid, &cfg))
                return -errno;
        pfns = calloc(nr, sizeof(*pfns));
        if (!pfns)
                rc = -ENOMEM;
        else if (xc_domain_setmaxmem(xch, *domid, (uint64_t)mib * 1024 + 1024))
                rc = -errno;
        for (i = 0; !rc && i < nr; i++)
                pfns[i] = i << 9;
        if (!rc && xc_domain_populate_physmap_exact(xch, *domid, nr, 9, 0, pfns))
                rc = -errno;
        free(pfns);
        if (rc)
                xc_domain_destroy(xch, *domid);
        return rc;
}

/*
 * Query cost does not grow with the domain: one hypercall per query, timed
 * for a 64 MiB and a 512 MiB domain (best of several rounds, as this machine
 * is shared).  Also checks both against the 'u' dump and that they vanish.
 */
static int cmd_cost(const char *label)
{
        const int rounds = 7, per = 300;
        double best[2] = {1e9, 1e9};
        uint32_t dom[2];
        struct counts c[2];
        char l2[128];
        int r, i, k, rc, fails = 0;

        if ((rc = make_domain(64, &dom[0])))
                return result("FAIL", label, "cannot create a 64 MiB domain: %s", strerror(-rc));
        if ((rc = make_domain(512, &dom[1]))) {
                xc_domain_destroy(xch, dom[0]);
                return result("FAIL", label, "cannot create a 512 MiB domain: %s", strerror(-rc));
        }
        for (r = 0; r < rounds; r++) {
                for (k = 0; k < 2; k++) {
                        double t = now_s();

                        for (i = 0; i < per; i++)
                                if (read_counts(dom[k], &c[k]))
                                        break;
                        t = (now_s() - t) / per;
                        if (t < best[k])
                                best[k] = t;
                }
        }
        fails += result(best[1] < 2.0 * best[0] + 20e-6 ? "PASS" : "FAIL", label,
                        "one hypercall per query: d%u (%" PRIu64 " pages) %.1f us/query, "
                        "d%u (%" PRIu64 " pages) %.1f us/query: ratio %.2f for %.1fx the pages",
                        dom[0], c[0].total, best[0] * 1e6, dom[1], c[1].total, best[1] * 1e6,
                        best[1] / best[0], (double)c[1].total / (double)c[0].total);
        snprintf(l2, sizeof(l2), "%s-domains-match-u", label);
        fails += cmd_compare_u(l2);
        xc_domain_destroy(xch, dom[0]);
        xc_domain_destroy(xch, dom[1]);
        snprintf(l2, sizeof(l2), "%s-domains-gone", label);
        rc = read_counts(dom[1], &c[1]);
        fails += result(rc == -ESRCH ? "PASS" : "FAIL", l2, "node_pages on destroyed d%u: %s",
                        dom[1], strerror(-rc));
        return fails ? 1 : 0;
}

static int cmd_gone(const char *label, uint32_t domid)
{
        struct counts c;
        int rc = read_counts(domid, &c);

        return result(rc == -ESRCH ? "PASS" : "FAIL", label, "node_pages on destroyed d%u: %s",
                      domid, strerror(-rc));
}

/* Scan a guest console log written by the in-guest memory checker. */
static int cmd_memlog(const char *label, const char *path, long min_passes)
{
        FILE *f = fopen(path, "r");
        char line[512];
        long passes = 0, bad = 0;

        if (!f)
                return result("FAIL", label, "no guest log %s: %s", path, strerror(errno));
        while (fgets(line, sizeof(line), f)) {
                if (strstr(line, "nf-memcheck: pass") && strstr(line, " ok"))
                        passes++;
                if (strstr(line, "CORRUPT"))
                        bad++;
        }
        fclose(f);
        return result(!bad && passes >= min_passes ? "PASS" : "FAIL", label,
                      "guest memory checker: %ld verified passes, %ld corruption "
                      "reports (need >= %ld passes, 0 reports)",
                      passes, bad, min_passes);
}

/*
 * A never-run PVH domain (HAP) with @mib MiB populated on @node in extents
 * of @order (9: 2M, mapped 2M in the p2m).  With @pod_mib, that many MiB
 * more are populate-on-demand entries backed by a PoD cache.
 */
static int make_pvh(uint32_t mib, uint32_t node, unsigned int order, uint32_t pod_mib,
                    uint32_t *domid)
{
        struct xen_domctl_createdomain cfg = {
            .flags = XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
            .max_vcpus = 1,
            .max_evtchn_port = 1023,
            .max_grant_frames = 1,
            .max_maptrack_frames = 0,
            .grant_opts = XEN_DOMCTL_GRANT_version(1),
            .arch = {.emulation_flags = XEN_X86_EMU_LAPIC},
        };
        unsigned int pool_mb = 8;
        unsigned long per = 1ul << order, nr = (unsigned long)mib * 256 / per, i;
        unsigned long nr_pod = (unsigned long)pod_mib * 256 / per;
        xen_pfn_t *pfns;
        int rc = 0;

        *domid = 0;
        if (xc_domain_create(xch, domid, &cfg))
                return -errno;
        pfns = calloc(nr + nr_pod + 1, sizeof(*pfns));
        if (!pfns)
                rc = -ENOMEM;
        /* Paging operations need the vCPU to exist (it never runs). */
        else if (xc_domain_max_vcpus(xch, *domid, 1))
                rc = -errno;
        else if (xc_domain_setmaxmem(xch, *domid, ((uint64_t)mib + pod_mib) * 1024 + 1024))
                rc = -errno;
        /* HAP needs its paging pool before the p2m can grow. */
        else if (xc_shadow_control(xch, *domid, XEN_DOMCTL_SHADOW_OP_SET_ALLOCATION, &pool_mb, 0))
                rc = -errno;
        for (i = 0; !rc && i < nr + nr_pod; i++)
                pfns[i] = i * per;
        if (!rc && xc_domain_populate_physmap_exact(xch, *domid, nr, order,
                                                    XENMEMF_exact_node(node), pfns))
                rc = -errno;
        /* As libxenguest does: the PoD entries first, then the cache target. */
        if (!rc && nr_pod &&
            (xc_domain_populate_physmap_exact(xch, *domid, nr_pod, order,
                                              XENMEMF_populate_on_demand, pfns + nr) ||
             xc_domain_set_pod_target(xch, *domid, (uint64_t)(mib + pod_mib / 2) * 256, NULL, NULL,
                                      NULL)))
                rc = errno ? -errno : -EIO;
        free(pfns);
        if (rc)
                xc_domain_destroy(xch, *domid);
        return rc;
}

/* Totals of one migration run: batches until done (or an error). */
struct mig_run {
        unsigned long moved, skipped, calls, splits, whole;
        double worst;
        int rc;
};

static struct mig_run migrate_all(uint32_t domid, uint32_t from, uint32_t to, unsigned int batch,
                                  unsigned int max_calls)
{
        struct nf_xen_numaflip_migrate io = {.from_nodes = 1ull << from};
        struct mig_run r = {0};

        while (r.calls < max_calls) {
                double t = now_s();

                io.max_pages = batch;
                r.rc = nf_xen_domctl_migrate(dctl, (uint16_t)domid, to, &io);
                t = now_s() - t;
                r.calls++;
                if (t > r.worst)
                        r.worst = t;
                if (r.rc && r.rc != -ENOMEM)
                        break;
                r.moved += io.moved;
                r.skipped += io.skipped;
                r.splits += io.splits;
                r.whole += io.whole;
                if (r.rc || io.done)
                        break;
        }
        return r;
}

/* Seconds to copy one batch (1024 pages) here, the best of five. */
static double batch_copy_s(void)
{
        size_t len = (size_t)NF_XEN_MIGRATE_BATCH_PAGES * 4096;
        char *a = malloc(len), *b = malloc(len);
        double best = 1e9;
        int k;

        if (!a || !b) {
                free(a);
                free(b);
                return 0.01;
        }
        memset(a, 1, len);
        memset(b, 2, len);
        for (k = 0; k < 5; k++) {
                double t = now_s();

                memcpy(b, a, len);
                __asm__ volatile("" : : "r"(b) : "memory");
                t = now_s() - t;
                if (t < best)
                        best = t;
        }
        free(a);
        free(b);
        return best;
}

/* MiB/s of dom0 copying @pages pages from domain @src's frames to @dst's (gfns from 0),
 * the best of five: the copy limit for a migration between their nodes. 0 on error. */
static double node_copy_mibs(uint32_t src, uint32_t dst, unsigned long pages)
{
        xenforeignmemory_handle *fm = xenforeignmemory_open(NULL, 0);
        xen_pfn_t *gfns = calloc(pages, sizeof(*gfns));
        int *err = calloc(pages, sizeof(*err));
        size_t len = pages * 4096;
        void *a = NULL, *b = NULL;
        double best = 1e9;
        unsigned long i;

        if (!fm || !gfns || !err)
                goto out;
        for (i = 0; i < pages; i++)
                gfns[i] = i;
        a = xenforeignmemory_map(fm, src, PROT_READ, pages, gfns, err);
        b = xenforeignmemory_map(fm, dst, PROT_READ | PROT_WRITE, pages, gfns, err);
        if (!a || !b)
                goto out;
        for (int k = 0; k < 5; k++) {
                double t = now_s();

                memcpy(b, a, len);
                __asm__ volatile("" : : "r"(b) : "memory");
                t = now_s() - t;
                if (t < best)
                        best = t;
        }
out:
        if (a)
                xenforeignmemory_unmap(fm, a, pages);
        if (b)
                xenforeignmemory_unmap(fm, b, pages);
        if (fm)
                xenforeignmemory_close(fm);
        free(gfns);
        free(err);
        return best < 1e9 ? (double)len / (1024 * 1024) / best : 0;
}

/*
 * bench/xen-migrate.sh: the migrate sub-op's throughput on a never-run PVH domain of @mib
 * MiB built from 2M (@order 9) or 4K (0) extents on node 0, moved to node 1 in batches of
 * NF_XEN_MIGRATE_BATCH_PAGES, against dom0's own copy of as many pages from node 0 to node 1
 * in the same boot; the longest call (the domain is paused for one call); and the cost of
 * one observation: the daemon's one hypercall per guest against the 'u' dump of the same
 * domains.
 */
static int cmd_bench_migrate(const char *label, uint32_t mib, unsigned int order)
{
        unsigned long pages = (unsigned long)mib * 256;
        uint32_t src = 0, dst = 0;
        struct counts c;
        double copy, t, query = 1e9, dump = 1e9;
        struct mig_run r;
        int rc;

        if ((rc = make_pvh(mib, 0, order, 0, &src)))
                return result("FAIL", label, "cannot build a %u MiB PVH domain on node 0: %s", mib,
                              strerror(-rc));
        if ((rc = make_pvh(mib, 1, order, 0, &dst))) {
                xc_domain_destroy(xch, src);
                return result("FAIL", label, "cannot build a %u MiB PVH domain on node 1: %s", mib,
                              strerror(-rc));
        }
        copy = node_copy_mibs(src, dst, pages);
        /* The copy target goes first: node 1 needs the room for the migration. */
        xc_domain_destroy(xch, dst);
        for (int k = 0; k < 5; k++) {
                double q = now_s();

                for (int i = 0; i < 100; i++)
                        read_counts(src, &c);
                q = (now_s() - q) / 100;
                if (q < query)
                        query = q;
                q = now_s();
                if (xc_send_debug_keys(xch, "u"))
                        break;
                q = now_s() - q;
                if (q < dump)
                        dump = q;
        }
        t = now_s();
        r = migrate_all(src, 0, 1, NF_XEN_MIGRATE_BATCH_PAGES, 1000000);
        t = now_s() - t;
        xc_domain_destroy(xch, src);
        double mibs = (double)r.moved / 256 / t;
        bool ok = !r.rc && r.moved + r.skipped >= pages && copy > 0 && dump < 1e9;
        return result(ok ? "PASS" : "FAIL", label,
                      "%u MiB in %s extents: migrate %.0f MiB/s (%lu pages in %lu calls, %lu "
                      "whole, %lu splits, rc %d), dom0 copy node0->node1 %.0f MiB/s: ratio %.2f; "
                      "longest call %.4f s for %u pages; observation: one hypercall %.1f us, "
                      "'u' dump (every domain) %.1f ms (%.0fx)",
                      mib, order ? "2M" : "4K", mibs, r.moved, r.calls, r.whole, r.splits, r.rc,
                      copy, copy > 0 ? mibs / copy : 0, r.worst, NF_XEN_MIGRATE_BATCH_PAGES,
                      query * 1e6, dump * 1e3, dump / query);
}

static bool same_counts(uint32_t domid, const struct counts *c0, struct counts *c1)
{
        return !read_counts(domid, c1) && same_nodes(c0, c1) && c0->total == c1->total;
}

/*
 * Migrate safety on never-run PVH domains, so every step is deterministic
 * and cheap even on a debug hypervisor under emulation.  One verdict per
 * property; every refusal must leave the domain's counts as they were.
 */
static int cmd_safety(const char *prefix, double bound_factor)
{
        struct counts c0, c1;
        struct mig_run r, back;
        char label[128], b0[512], b1[512];
        uint64_t freep[MAXN];
        unsigned int nn = 0;
        uint32_t d = 0, d2 = 0, d3 = 0;
        double copy = batch_copy_s(), bound = bound_factor * copy;
        struct nf_xen_numaflip_migrate io;
        struct nf_xen_numaflip_pool pool;
        bool same;
        int rc, fails = 0;

#define L(name) (snprintf(label, sizeof(label), "%s-%s", prefix, name), label)
#define CHECK(ok, name, ...) (fails += !!result((ok) ? "PASS" : "FAIL", L(name), __VA_ARGS__))

        rc = make_pvh(16, 0, 9, 0, &d);
        if (rc)
                return result("FAIL", L("setup"), "cannot build a 16 MiB PVH domain: %s",
                              strerror(-rc));
        read_counts(d, &c0);
        fmt_counts(&c0, b0, sizeof(b0));

        /*
         * 256 fits no nodeid_t: it must be refused, not taken as node 0
         * (from node 1, so that node 0 would be a valid target).
         */
        io = (struct nf_xen_numaflip_migrate){.from_nodes = 1ull << 1, .max_pages = 64};
        rc = nf_xen_domctl_migrate(dctl, (uint16_t)d, 256, &io);
        same = same_counts(d, &c0, &c1);
        CHECK(rc == -EINVAL && same, "node-256-refused",
              "d%u to node 256: %s (moved %u); counts {%s} unchanged: %s", d, strerror(-rc),
              rc ? 0 : io.moved, b0, same ? "yes" : "no");

        /* 2M extents move whole, and are still 2M afterwards: moving back is whole again. */
        r = migrate_all(d, 0, 1, NF_XEN_MIGRATE_BATCH_PAGES, 64);
        back = migrate_all(d, 1, 0, NF_XEN_MIGRATE_BATCH_PAGES, 64);
        read_counts(d, &c1);
        fmt_counts(&c1, b1, sizeof(b1));
        CHECK(!r.rc && !back.rc && r.moved == 4096 && r.whole == 8 && !r.splits &&
                  back.whole == 8 && !back.splits && c1.n[0] == c0.n[0],
              "2m-moved-whole",
              "16 MiB in 2M extents node0->node1: moved %lu, whole %lu, splits %lu; back: "
              "moved %lu, whole %lu, splits %lu (a 4K mapping cannot move whole, so the "
              "entries were still 2M); counts {%s} -> {%s}",
              r.moved, r.whole, r.splits, back.moved, back.whole, back.splits, b0, b1);
        CHECK(r.worst < bound && back.worst<bound, "batch-pause-bound",
                                            "longest call (the domain is paused for one call) %.4f "
                                            "s, bound %.4f s = %.0f x "
                                            "%.4f s to copy one batch (1024 pages) in dom0",
                                            r.worst>
                                     back.worst
                  ? r.worst
                  : back.worst,
              bound, bound_factor, copy);

        /* Log-dirty (what xl save/migrate turn on): nothing moves while it is on. */
        if (xc_shadow_control(xch, d, XEN_DOMCTL_SHADOW_OP_ENABLE_LOGDIRTY, NULL, 0)) {
                CHECK(0, "log-dirty", "cannot enable log-dirty on d%u: %s", d, strerror(errno));
        } else {
                read_counts(d, &c0);
                r = migrate_all(d, 0, 1, NF_XEN_MIGRATE_BATCH_PAGES, 64);
                rc = !same_counts(d, &c0, &c1);
                xc_shadow_control(xch, d, XEN_DOMCTL_SHADOW_OP_OFF, NULL, 0);
                back = migrate_all(d, 0, 1, NF_XEN_MIGRATE_BATCH_PAGES, 64);
                CHECK(!r.rc && !r.moved && r.skipped > 0 && !rc && !back.rc && back.moved == 4096,
                      "log-dirty",
                      "with log-dirty on: moved %lu, skipped %lu, counts unchanged: %s; after "
                      "it is off: moved %lu (rc %d)",
                      r.moved, r.skipped, rc ? "no" : "yes", back.moved, back.rc);
        }

        /* altp2m: views may map frames without a reference, so refuse. */
        read_counts(d, &c0);
        fmt_counts(&c0, b0, sizeof(b0));
        if (xc_hvm_param_set(xch, d, HVM_PARAM_ALTP2M, XEN_ALTP2M_external)) {
                CHECK(0, "altp2m-refused", "cannot set HVM_PARAM_ALTP2M on d%u: %s", d,
                      strerror(errno));
        } else {
                io = (struct nf_xen_numaflip_migrate){.from_nodes = 1ull << 1, .max_pages = 64};
                rc = nf_xen_domctl_migrate(dctl, (uint16_t)d, 0, &io);
                same = same_counts(d, &c0, &c1);
                CHECK(rc == -EOPNOTSUPP && same, "altp2m-refused",
                      "HVM_PARAM_ALTP2M=external: %s, counts {%s} unchanged: %s", strerror(-rc), b0,
                      same ? "yes" : "no");
        }
        xc_domain_destroy(xch, d);

        /* Populate-on-demand: PoD entries are not frames; the rest moves. */
        rc = make_pvh(16, 0, 9, 16, &d3);
        if (rc) {
                CHECK(0, "pod", "cannot build a PoD PVH domain: %s", strerror(-rc));
        } else {
                read_counts(d3, &c0);
                r = migrate_all(d3, 0, 1, NF_XEN_MIGRATE_BATCH_PAGES, 64);
                read_counts(d3, &c1);
                fmt_counts(&c0, b0, sizeof(b0));
                fmt_counts(&c1, b1, sizeof(b1));
                CHECK(!r.rc && r.moved == c0.n[0] && c1.n[0] == 0 && c1.total == c0.total, "pod",
                      "16 MiB populated + 16 MiB PoD (cache 8 MiB): moved %lu, skipped %lu, rc "
                      "%d; counts {%s} -> {%s}",
                      r.moved, r.skipped, r.rc, b0, b1);
                xc_domain_destroy(xch, d3);
        }

        /* Target node nearly full: -ENOMEM mid-batch, the domain consistent. */
        rc = make_pvh(32, 0, 9, 0, &d2);
        if (!rc)
                rc = node_free_pages(freep, &nn);
        if (rc || nn < 2) {
                CHECK(0, "enomem", "setup failed: %s", strerror(-rc));
                goto out;
        }
        /* Reserve all but ~1000 frames of node 1 in its flip pool (disabled: only a filler). */
        rc = nf_xen_domctl_pool_set(dctl, 1, freep[1] > 1000 ? freep[1] - 1000 : 0, &pool);
        read_counts(d2, &c0);
        r = migrate_all(d2, 0, 1, NF_XEN_MIGRATE_BATCH_PAGES, 64);
        read_counts(d2, &c1);
        fmt_counts(&c0, b0, sizeof(b0));
        fmt_counts(&c1, b1, sizeof(b1));
        CHECK(r.rc == -ENOMEM && r.moved > 0 && r.moved < 8192 && c1.total == c0.total &&
                  c1.n[0] + c1.n[1] == c0.n[0] + c0.n[1] && c1.n[1] == c0.n[1] + r.moved,
              "enomem-mid-batch",
              "node 1 filled to ~1000 free frames (pool_set rc %d, held %" PRIu64 "): moved "
              "%lu in %lu calls (whole %lu, splits %lu), stopped with %s; tot_pages %" PRIu64
              " -> %" PRIu64 "; counts {%s} -> {%s}",
              rc, pool.held, r.moved, r.calls, r.whole, r.splits, strerror(-r.rc), c0.total,
              c1.total, b0, b1);
        fails += !!cmd_compare_u(L("enomem-counts-equal-u"));
        nf_xen_domctl_pool_set(dctl, 1, 0, NULL);

        /* Destroyed between batches: the next call finds no domain. */
        io = (struct nf_xen_numaflip_migrate){.from_nodes = 1ull << 1, .max_pages = 256};
        rc = nf_xen_domctl_migrate(dctl, (uint16_t)d2, 0, &io);
        xc_domain_destroy(xch, d2);
        {
                int rc2 = nf_xen_domctl_migrate(dctl, (uint16_t)d2, 0, &io);

                /* Gone (ESRCH), or still being torn down (dying: EINVAL). */
                CHECK(!rc && (rc2 == -ESRCH || rc2 == -EINVAL), "destroyed-between-batches",
                      "batch before destroy: %s (moved %u); after: %s", rc ? strerror(-rc) : "ok",
                      io.moved, strerror(-rc2));
        }
        fails += !!cmd_compare_u(L("counts-equal-u-after-destroy"));
out:
#undef CHECK
#undef L
        return fails ? 1 : 0;
}

/* Frames for dom0 itself (PV: machine frame numbers come back). */
static int take_frames(unsigned int mem_flags, unsigned long n, xen_pfn_t *mfns)
{
        return xc_domain_increase_reservation_exact(xch, DOMID_SELF, n, 0, mem_flags, mfns) ? -errno
                                                                                            : 0;
}

static int give_frames(unsigned long n, xen_pfn_t *mfns)
{
        return xc_domain_decrease_reservation_exact(xch, DOMID_SELF, n, 0, mfns) ? -errno : 0;
}

/*
 * Flip-pool safety from dom0 on pool @node: the address-width fallback,
 * and a pool frame offlined (the sysctl xen-hptool mem-offline issues)
 * never handed out.
 */
static int cmd_pool_safety(const char *prefix, uint32_t node)
{
        enum { TARGET = 64 };
        struct nf_xen_numaflip_pool p0, p1, p2;
        xen_pfn_t m, got[TARGET + 8], keep[8];
        unsigned long nkeep = 0;
        unsigned int pool_flags = XENMEMF_node(node) | NF_XENMEMF_FLIP_POOL;
        char label[128];
        uint32_t st = 0, qst = 0;
        unsigned long n = 0, i;
        int k;
        bool seen = false;
        int rc, fails = 0;

#define L(name) (snprintf(label, sizeof(label), "%s-%s", prefix, name), label)
        if ((rc = nf_xen_domctl_pool_set(dctl, node, TARGET, NULL)) ||
            (rc = nf_xen_domctl_pool_enable(dctl, node, true, &p0)))
                return result("FAIL", L("setup"), "pool %u: %s", node, strerror(-rc));

        /* Below the machine's address width: an ordinary frame, counted. */
        rc = take_frames(pool_flags | XENMEMF_address_bits(30), 1, &m);
        nf_xen_domctl_pool_get(dctl, node, &p1);
        fails += !!result(!rc && p1.narrow == p0.narrow + 1 && p1.handed_out == p0.handed_out &&
                                  p1.held == p0.held && m < (1ul << (30 - 12))
                              ? "PASS"
                              : "FAIL",
                          L("address-bits-fallback"),
                          "XENMEMF_address_bits(30) with the pool flag: %s, mfn %#lx (< %#lx), "
                          "narrow %" PRIu64 " -> %" PRIu64 ", handed_out %" PRIu64 " -> %" PRIu64
                          ", held %" PRIu64 " -> %" PRIu64,
                          rc ? strerror(-rc) : "ok", (unsigned long)m, 1ul << (30 - 12), p0.narrow,
                          p1.narrow, p0.handed_out, p1.handed_out, p0.held, p1.held);
        if (!rc)
                give_frames(1, &m);

        /*
         * A pool frame: take one, give it back through a receiver's refill,
         * offline it.  It has no owner, so Xen only marks it offlining
         * (ANONYMOUS).  Xen refuses frames it counts as its own image
         * (XENPAGE), which can border the heap: then take the next frame.
         */
        for (k = 0; k < 8; k++) {
                nf_xen_domctl_pool_get(dctl, node, &p0);
                rc = take_frames(pool_flags, 1, &m);
                if (!rc)
                        rc = nf_xen_domctl_set_receiver(dctl, 0, true);
                if (!rc)
                        rc = give_frames(1, &m);
                nf_xen_domctl_set_receiver(dctl, 0, false);
                nf_xen_domctl_pool_get(dctl, node, &p1);
                if (rc || p1.held != p0.held || p1.handed_out != p0.handed_out + 1) {
                        fails += !!result("FAIL", L("offlined-frame-never-handed-out"),
                                          "setup: %s; held %" PRIu64 " -> %" PRIu64, strerror(-rc),
                                          p0.held, p1.held);
                        goto out;
                }
                st = 0;
                rc = xc_mark_page_offline(xch, m, m, &st) ? -errno : 0;
                if (st & PG_OFFLINE_ANONYMOUS)
                        break;
                printf("pool frame %#lx not offlinable (status %#x), taking the next\n",
                       (unsigned long)m, st);
                /* Out of the pool until the end, or the next take would hand it back. */
                if (take_frames(pool_flags, 1, &keep[nkeep]) == 0)
                        nkeep++;
        }
        if (!(st & PG_OFFLINE_ANONYMOUS)) {
                fails += !!result("FAIL", L("offlined-frame-never-handed-out"),
                                  "setup: none of %d pool frames could be offlined (last %#lx, "
                                  "status %#x)",
                                  k, (unsigned long)m, st);
                goto out;
        }
        n = p1.held < TARGET + 8 ? p1.held : TARGET + 8;
        if (take_frames(pool_flags, n, got))
                n = 0;
        for (i = 0; i < n; i++)
                if (got[i] == m)
                        seen = true;
        nf_xen_domctl_pool_get(dctl, node, &p2);
        xc_query_page_offline_status(xch, m, m, &qst);
        fails += !!result(n && !seen && p2.dropped == p1.dropped + 1 &&
                                  p2.handed_out == p1.handed_out + n - 1 &&
                                  (qst & PG_OFFLINE_STATUS_OFFLINED)
                              ? "PASS"
                              : "FAIL",
                          L("offlined-frame-never-handed-out"),
                          "pool frame %#lx offlined (rc %d, status %#x); took all %lu held: "
                          "it was %s, dropped %" PRIu64 " -> %" PRIu64 ", handed_out %" PRIu64
                          " -> %" PRIu64 ", status now %#x (%s)",
                          (unsigned long)m, rc, st, n, seen ? "HANDED OUT" : "not among them",
                          p1.dropped, p2.dropped, p1.handed_out, p2.handed_out, qst,
                          qst & PG_OFFLINE_STATUS_OFFLINED ? "offlined" : "not offlined");
        for (i = 0; i < n; i++)
                if (got[i] != m)
                        give_frames(1, &got[i]);
out:
        for (i = 0; i < nkeep; i++)
                give_frames(1, &keep[i]);
        nf_xen_domctl_pool_enable(dctl, node, false, NULL);
        nf_xen_domctl_pool_set(dctl, node, 0, NULL);
#undef L
        return fails ? 1 : 0;
}

/* Destroying a flip receiver while its pool is enabled: its frames go to the heap. */
static int cmd_pool_destroy(const char *label, uint32_t domid, uint32_t node)
{
        struct nf_xen_numaflip_pool p0, p1;
        struct counts c;
        int rc, k;

        if ((rc = nf_xen_domctl_pool_set(dctl, node, 256, NULL)) ||
            (rc = nf_xen_domctl_pool_enable(dctl, node, true, NULL)) ||
            (rc = nf_xen_domctl_set_receiver(dctl, (uint16_t)domid, true)) ||
            (rc = nf_xen_domctl_pool_get(dctl, node, &p0)))
                return result("FAIL", label, "setup on d%u: %s", domid, strerror(-rc));
        rc = xc_domain_destroy(xch, domid) ? -errno : 0;
        for (k = 0; k < 100 && read_counts(domid, &c) != -ESRCH; k++)
                sleep_ms(100);
        nf_xen_domctl_pool_get(dctl, node, &p1);
        nf_xen_domctl_pool_enable(dctl, node, false, NULL);
        nf_xen_domctl_pool_set(dctl, node, 0, NULL);
        return result(!rc && read_counts(domid, &c) == -ESRCH && p1.held == p0.held &&
                              p1.held <= p1.target
                          ? "PASS"
                          : "FAIL",
                      label,
                      "receiver d%u destroyed with pool %u enabled (%s, gone after %d polls): "
                      "held %" PRIu64 " -> %" PRIu64 " of target %" PRIu64
                      " (a dying domain's frames go to the heap)",
                      domid, node, rc ? strerror(-rc) : "ok", k, p0.held, p1.held, p1.target);
}

static int usage(void)
{
        fprintf(stderr, "usage: nf-xen-check probe LABEL present|absent\n"
                        "       nf-xen-check counts DOMID\n"
                        "       nf-xen-check compare-u LABEL\n"
                        "       nf-xen-check pool LABEL NODE FRAMES\n"
                        "       nf-xen-check pool-set NODE FRAMES\n"
                        "       nf-xen-check setmaxmem DOMID KIB\n"
                        "       nf-xen-check flip LABEL DOMID DOM0NODE GUESTNODE FLIPLOAD NFLIPS\n"
                        "       nf-xen-check migrate-pv LABEL DOMID\n"
                        "       nf-xen-check migrate LABEL DOMID FROM TO BATCH\n"
                        "       nf-xen-check cost LABEL\n"
                        "       nf-xen-check gone LABEL DOMID\n"
                        "       nf-xen-check memlog LABEL PATH MIN_PASSES\n"
                        "       nf-xen-check safety PREFIX BOUND_FACTOR\n"
                        "       nf-xen-check bench-migrate LABEL MIB ORDER\n"
                        "       nf-xen-check pool-safety PREFIX NODE\n"
                        "       nf-xen-check pool-destroy LABEL DOMID NODE\n");
        return 2;
}

static uint32_t num(const char *s)
{
        return (uint32_t)strtoul(s, NULL, 0);
}

int main(int argc, char **argv)
{
        int rc;

        if (argc < 3)
                return usage();
        setvbuf(stdout, NULL, _IOLBF, 0);
        xch = xc_interface_open(NULL, NULL, 0);
        if (!xch) {
                fprintf(stderr, "nf-xen-check: cannot open libxenctrl\n");
                return 1;
        }
        rc = nf_xen_domctl_open(&dctl);
        if (rc) {
                fprintf(stderr, "nf-xen-check: cannot open libxencall: %s\n", strerror(-rc));
                return 1;
        }
        if (!strcmp(argv[1], "probe") && argc == 4)
                rc = cmd_probe(argv[2], !strcmp(argv[3], "present"));
        else if (!strcmp(argv[1], "counts") && argc == 3)
                rc = cmd_counts(num(argv[2]));
        else if (!strcmp(argv[1], "compare-u") && argc == 3)
                rc = cmd_compare_u(argv[2]);
        else if (!strcmp(argv[1], "pool") && argc == 5)
                rc = cmd_pool(argv[2], num(argv[3]), num(argv[4]));
        else if (!strcmp(argv[1], "setmaxmem") && argc == 4)
                rc = cmd_setmaxmem(num(argv[2]), num(argv[3]));
        else if (!strcmp(argv[1], "pool-set") && argc == 4)
                rc = cmd_pool_set(num(argv[2]), num(argv[3]));
        else if (!strcmp(argv[1], "flip") && argc == 8)
                rc = cmd_flip(argv[2], num(argv[3]), num(argv[4]), num(argv[5]), argv[6],
                              num(argv[7]));
        else if (!strcmp(argv[1], "migrate-pv") && argc == 4)
                rc = cmd_migrate_pv(argv[2], num(argv[3]));
        else if (!strcmp(argv[1], "migrate") && argc == 7)
                rc = cmd_migrate(argv[2], num(argv[3]), num(argv[4]), num(argv[5]), num(argv[6]));
        else if (!strcmp(argv[1], "cost") && argc == 3)
                rc = cmd_cost(argv[2]);
        else if (!strcmp(argv[1], "gone") && argc == 4)
                rc = cmd_gone(argv[2], num(argv[3]));
        else if (!strcmp(argv[1], "pool-safety") && argc == 4)
                rc = cmd_pool_safety(argv[2], num(argv[3]));
        else if (!strcmp(argv[1], "pool-destroy") && argc == 5)
                rc = cmd_pool_destroy(argv[2], num(argv[3]), num(argv[4]));
        else if (!strcmp(argv[1], "safety") && argc == 4)
                rc = cmd_safety(argv[2], strtod(argv[3], NULL));
        else if (!strcmp(argv[1], "bench-migrate") && argc == 5)
                rc = cmd_bench_migrate(argv[2], num(argv[3]), num(argv[4]));
        else if (!strcmp(argv[1], "memlog") && argc == 5)
                rc = cmd_memlog(argv[2], argv[3], (long)num(argv[4]));
        else
                rc = usage();
        nf_xen_domctl_close(dctl);
        xc_interface_close(xch);
        return rc;
}
