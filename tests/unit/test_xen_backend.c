/* Unit tests of the xen backend against a fake Xen: libxenctrl, libxenstore and libxencall replaced
 * at link time by a scripted host (domains, affinities, console ring, the numaflip domctl). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <xencall.h>
#include <xenctrl.h>
#include <xenstore.h>
#include <xentoollog.h>

#include "numaflip/backend.h"
#include "numaflip/xen_abi.h"
#include "nf_units.h"

/* --- the fake host: 2 nodes, CPUs 0-1 on node 0 and 2-3 on node 1 ---------------------- */

#define NCPU 4
#define MAXD 8

struct fake_dom {
        uint32_t domid;
        uint32_t flags;
        bool introduced;
        const char *name;
        uint64_t pages[2];
        uint8_t nodeaff;    /* node bits; 0x3 = all */
        uint8_t hard, soft; /* CPU bits of its one vCPU */
};

static struct fake_dom doms[MAXD];
static unsigned ndoms;
static bool patched;
static unsigned domctl_calls, sendkeys_calls;
static char ring[1 << 16];
static size_t ring_len;
static size_t ring_piece = 1 << 16; /* most bytes one readconsolering hands out */
static size_t ring_cap = 1 << 16;   /* the hypervisor's ring: older output is overwritten */
static int watch_pipe[2] = {-1, -1};
static unsigned watch_pending;
static uint64_t fake_now;

static struct fake_dom *dom(uint32_t id)
{
        for (unsigned i = 0; i < ndoms; i++)
                if (doms[i].domid == id)
                        return &doms[i];
        return NULL;
}

static void ring_add(const char *s)
{
        size_t n = strlen(s);

        assert_true(ring_len + n < sizeof(ring));
        memcpy(ring + ring_len, s, n);
        ring_len += n;
}

/* libxentoollog */
struct xentoollog_logger_stdiostream {
        int unused;
};
static struct xentoollog_logger_stdiostream the_log;
xentoollog_logger_stdiostream *xtl_createlogger_stdiostream(FILE *f, xentoollog_level l,
                                                            unsigned flags)
{
        (void)f, (void)l, (void)flags;
        return &the_log;
}
void xtl_logger_destroy(struct xentoollog_logger *logger)
{
        (void)logger;
}

/* libxenctrl */
struct xc_interface_core {
        int unused;
};
static struct xc_interface_core the_xch;
xc_interface *xc_interface_open(xentoollog_logger *l, xentoollog_logger *d, unsigned f)
{
        (void)l, (void)d, (void)f;
        return &the_xch;
}
int xc_interface_close(xc_interface *xch)
{
        (void)xch;
        return 0;
}
int xc_numainfo(xc_interface *xch, unsigned *max_nodes, xc_meminfo_t *mem, uint32_t *dist)
{
        (void)xch;
        if (mem) {
                assert_true(*max_nodes >= 2);
                for (unsigned i = 0; i < 2; i++) {
                        mem[i].memsize = 1ull << 30;
                        mem[i].memfree = (256ull + i) << 20;
                        for (unsigned j = 0; j < 2; j++)
                                dist[i * *max_nodes + j] = i == j ? 10 : 20;
                }
        }
        *max_nodes = 2;
        return 0;
}
int xc_cputopoinfo(xc_interface *xch, unsigned *max_cpus, xc_cputopo_t *topo)
{
        (void)xch;
        for (unsigned c = 0; topo && c < NCPU; c++)
                topo[c].node = c / 2;
        *max_cpus = NCPU;
        return 0;
}
int xc_get_cpumap_size(xc_interface *xch)
{
        (void)xch;
        return 1;
}
int xc_get_nodemap_size(xc_interface *xch)
{
        (void)xch;
        return 1;
}
xc_cpumap_t xc_cpumap_alloc(xc_interface *xch)
{
        (void)xch;
        return calloc(1, 1);
}
xc_nodemap_t xc_nodemap_alloc(xc_interface *xch)
{
        (void)xch;
        return calloc(1, 1);
}
int xc_domain_getinfolist(xc_interface *xch, uint32_t first, unsigned max, xc_domaininfo_t *info)
{
        int n = 0;

        (void)xch;
        for (unsigned i = 0; i < ndoms && (unsigned)n < max; i++) {
                if (doms[i].domid < first)
                        continue;
                memset(&info[n], 0, sizeof(info[n]));
                info[n].domain = (domid_t)doms[i].domid;
                info[n].flags = doms[i].flags;
                info[n].tot_pages = doms[i].pages[0] + doms[i].pages[1];
                info[n].max_vcpu_id = 0;
                info[n].handle[15] = (uint8_t)doms[i].domid;
                n++;
        }
        return n;
}
int xc_domain_node_getaffinity(xc_interface *xch, uint32_t domid, xc_nodemap_t map)
{
        struct fake_dom *d = dom(domid);

        (void)xch;
        if (!d) {
                errno = ESRCH;
                return -1;
        }
        map[0] = d->nodeaff;
        return 0;
}
int xc_vcpu_getaffinity(xc_interface *xch, uint32_t domid, int vcpu, xc_cpumap_t hard,
                        xc_cpumap_t soft, uint32_t flags)
{
        struct fake_dom *d = dom(domid);

        (void)xch;
        assert_int_equal(vcpu, 0);
        assert_int_equal(flags, XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT);
        if (!d) {
                errno = ESRCH;
                return -1;
        }
        hard[0] = d->hard;
        soft[0] = d->soft & d->hard; /* effective soft affinity, as Xen returns it */
        return 0;
}
/* The 'u' handler: one dump of every domain, as Xen 4.17 prints it. */
int xc_send_debug_keys(xc_interface *xch, const char *keys)
{
        char line[128];

        (void)xch;
        assert_string_equal(keys, "u");
        sendkeys_calls++;
        ring_add("(XEN) 'u' pressed -> dumping numa info (now = 1)\n"
                 "(XEN) NODE0 start->0 size->262144 free->1\n"
                 "(XEN) NODE1 start->262144 size->262144 free->1\n"
                 "(XEN) Memory location of each domain:\n");
        for (unsigned i = 0; i < ndoms; i++) {
                snprintf(line, sizeof(line),
                         "(XEN) Domain %u (total: %llu):\n(XEN)     Node 0: %llu\n"
                         "(XEN)     Node 1: %llu\n",
                         doms[i].domid, (unsigned long long)(doms[i].pages[0] + doms[i].pages[1]),
                         (unsigned long long)doms[i].pages[0],
                         (unsigned long long)doms[i].pages[1]);
                ring_add(line);
        }
        return 0;
}
int xc_readconsolering(xc_interface *xch, char *buf, unsigned *nr, int clear, int incremental,
                       uint32_t *index)
{
        size_t n;

        (void)xch;
        assert_int_equal(clear, 0);
        assert_int_equal(incremental, 1);
        if (ring_len - *index > ring_cap) /* Xen starts from the oldest output it has */
                *index = (uint32_t)(ring_len - ring_cap);
        n = ring_len - *index;
        if (n > *nr)
                n = *nr;
        if (n > ring_piece)
                n = ring_piece;
        memcpy(buf, ring + *index, n);
        *index += (uint32_t)n;
        *nr = (unsigned)n;
        return 0;
}

/* libxenstore */
struct xs_handle {
        int unused;
};
static struct xs_handle the_xsh;
struct xs_handle *xs_open(unsigned long flags)
{
        (void)flags;
        assert_int_equal(pipe(watch_pipe), 0);
        return &the_xsh;
}
void xs_close(struct xs_handle *h)
{
        (void)h;
        close(watch_pipe[0]);
        close(watch_pipe[1]);
        watch_pipe[0] = watch_pipe[1] = -1;
}
static void fire_watch(void)
{
        assert_int_equal(write(watch_pipe[1], "w", 1), 1);
        watch_pending++;
}
bool xs_watch(struct xs_handle *h, const char *path, const char *token)
{
        (void)h, (void)token;
        assert_true(strcmp(path, "@introduceDomain") == 0 || strcmp(path, "@releaseDomain") == 0);
        fire_watch(); /* xenstored fires a new watch once at once */
        return true;
}
int xs_fileno(struct xs_handle *h)
{
        (void)h;
        return watch_pipe[0];
}
char **xs_check_watch(struct xs_handle *h)
{
        char c, **v;

        (void)h;
        if (!watch_pending) {
                errno = EAGAIN;
                return NULL;
        }
        assert_int_equal(read(watch_pipe[0], &c, 1), 1);
        watch_pending--;
        v = calloc(1, sizeof(*v));
        assert_non_null(v);
        return v;
}
void *xs_read(struct xs_handle *h, xs_transaction_t t, const char *path, unsigned *len)
{
        unsigned id;
        struct fake_dom *d;

        (void)h, (void)t;
        if (sscanf(path, "/local/domain/%u/name", &id) != 1 || !(d = dom(id)) || !d->name) {
                errno = ENOENT;
                return NULL;
        }
        *len = (unsigned)strlen(d->name);
        return strdup(d->name);
}
bool xs_is_domain_introduced(struct xs_handle *h, unsigned int domid)
{
        struct fake_dom *d = dom(domid);

        (void)h;
        return d && d->introduced;
}

/* libxencall: the patched hypervisor's domctl, or ENOSYS on a stock one */
struct xencall_handle {
        int unused;
};
static struct xencall_handle the_xcall;
xencall_handle *xencall_open(struct xentoollog_logger *l, unsigned f)
{
        (void)l, (void)f;
        return &the_xcall;
}
int xencall_close(xencall_handle *x)
{
        (void)x;
        return 0;
}
void *xencall_alloc_buffer(xencall_handle *x, size_t size)
{
        (void)x;
        return calloc(1, size);
}
void xencall_free_buffer(xencall_handle *x, void *p)
{
        (void)x;
        free(p);
}
int xencall1(xencall_handle *x, unsigned op, uint64_t arg)
{
        struct nf_xen_domctl *dc = (struct nf_xen_domctl *)(uintptr_t)arg;
        struct nf_xen_domctl_numaflip *nf = &dc->u.numaflip;
        struct fake_dom *d = dom(dc->domain);

        (void)x;
        assert_int_equal(op, NF_XEN_HYPERCALL_DOMCTL);
        domctl_calls++;
        if (!patched) {
                errno = ENOSYS;
                return -1;
        }
        if (nf->op == NF_XEN_NUMAFLIP_POOL_GET)
                return 0;
        if (!d) {
                errno = ESRCH;
                return -1;
        }
        if (nf->op == NF_XEN_NUMAFLIP_NODE_PAGES) {
                uint64_t *pages = (uint64_t *)(uintptr_t)nf->u.node_pages.pages;

                pages[0] = d->pages[0];
                pages[1] = d->pages[1];
                nf->u.node_pages.nr_nodes = 2;
                return 0;
        }
        if (nf->op == NF_XEN_NUMAFLIP_MIGRATE) {
                struct nf_xen_numaflip_migrate *m = &nf->u.migrate;
                unsigned from = nf->node ? 0 : 1;
                uint64_t n;

                if (!(dc->u.numaflip.u.migrate.from_nodes & NF_NODE_BIT(from)) ||
                    !(d->flags & XEN_DOMINF_hvm_guest)) {
                        errno = EOPNOTSUPP;
                        return -1;
                }
                /* Scans 100 gfns a call and moves what it finds, up to max_pages. */
                n = d->pages[from] < m->max_pages ? d->pages[from] : m->max_pages;
                n = n > 100 ? 100 : n;
                d->pages[from] -= n;
                d->pages[nf->node] += n;
                m->moved = (uint32_t)n;
                m->skipped = 1;
                m->gfn += 100;
                m->done = m->gfn >= 300;
                if (m->done)
                        m->gfn = 0;
                m->remaining = d->pages[from];
                return 0;
        }
        return 0;
}

/* --- helpers ---------------------------------------------------------------------------- */

static uint64_t now_ns(const struct nf_clock *c)
{
        (void)c;
        return fake_now;
}
static const struct nf_clock clk = {.now_ns = now_ns};

static struct nf_backend *open_be(void *conf)
{
        struct nf_backend_env env = {.clock = &clk, .conf = conf};
        struct nf_backend *be = NULL;
        char err[256] = "";

        assert_int_equal(nf_backend_xen_ops.open(&env, &be, err, sizeof(err)), 0);
        assert_non_null(be);
        return be;
}

static int setup(void **state)
{
        (void)state;
        memset(doms, 0, sizeof(doms));
        /* dom0 pinned by dom0_nodes=0; a PV guest on node 1; a PVH guest built on node 0
         * and re-pinned to node 1 (Xen derives its node affinity from the vCPU). */
        doms[0] = (struct fake_dom){0, 0, true, "Domain-0", {1000, 10}, 0x1, 0xf, 0xf};
        doms[1] = (struct fake_dom){1, 0, true, "pv1", {0, 500}, 0x3, 0x4, 0xf};
        doms[2] = (struct fake_dom){2, XEN_DOMINF_hvm_guest, true, "pvh2", {300, 0}, 0x2, 0xc, 0xf};
        ndoms = 3;
        patched = true;
        domctl_calls = sendkeys_calls = 0;
        ring_len = 0;
        ring_piece = sizeof(ring);
        ring_cap = sizeof(ring);
        watch_pending = 0;
        fake_now = 1;
        ring_add("(XEN) boot noise before the daemon\n(XEN) Domain 9 (total: 1):\n");
        return 0;
}

static size_t list(struct nf_backend *be, struct nf_guest_info *g)
{
        size_t n = 0;

        assert_int_equal(be->ops->list_guests(be, g, 8, &n), 0);
        return n;
}

/* --- tests ------------------------------------------------------------------------------ */

static void test_list_and_homes(void **state)
{
        struct nf_backend *be;
        struct nf_guest_info g[8];
        struct nf_topology topo;

        (void)state;
        be = open_be(NULL);
        assert_int_equal(be->ops->caps(be),
                         NF_CAP_OBSERVE | NF_CAP_MIGRATE | NF_CAP_POOL | NF_CAP_WATCH);
        assert_int_equal(be->ops->topology(be, &topo), 0);
        assert_int_equal(topo.nr_nodes, 2);
        assert_int_equal(topo.node[1].total_pages, (1u << 30) / NF_PAGE_SIZE);
        assert_int_equal(topo.node[1].free_pages, (257u << 20) / NF_PAGE_SIZE);
        assert_int_equal(topo.distance[0][1], 20);
        assert_int_equal(list(be, g), 3);
        assert_string_equal(g[0].name, "Domain-0");
        assert_true(g[0].control);
        assert_int_equal(g[0].home, NF_NODE_BIT(0));
        assert_string_equal(g[0].home_rule, "node affinity");
        /* pv1: node affinity of all nodes says nothing; its vCPU is pinned to CPU 2 */
        assert_int_equal(g[1].home, NF_NODE_BIT(1));
        assert_string_equal(g[1].home_rule, "vCPU hard affinity");
        assert_false(g[1].migratable);
        assert_non_null(strstr(g[1].why_not, "PV"));
        assert_string_equal(g[1].uuid, "00000000-0000-0000-0000-000000000001");
        assert_int_equal(g[2].home, NF_NODE_BIT(1));
        assert_true(g[2].migratable);
        assert_int_equal(g[2].memory_pages, 300);
        /* Re-pinning moves the home at the next listing: xl vcpu-pin leaves the node
         * affinity libxl set when it built the domain, which is then stale. */
        doms[2].hard = 0x3;
        assert_int_equal(list(be, g), 3);
        assert_int_equal(g[2].home, NF_NODE_BIT(0));
        assert_string_equal(g[2].home_rule, "vCPU hard affinity, re-pinned");
        /* Node affinity moved while the vCPU may run anywhere: node affinity decides. */
        doms[2].hard = 0xf;
        doms[2].nodeaff = 0x1;
        assert_int_equal(list(be, g), 3);
        assert_int_equal(g[2].home, NF_NODE_BIT(0));
        assert_string_equal(g[2].home_rule, "node affinity");
        /* A soft affinity alone decides when nothing else does. */
        doms[1].hard = 0xf;
        doms[1].soft = 0x1;
        assert_int_equal(list(be, g), 3);
        assert_int_equal(g[1].home, NF_NODE_BIT(0));
        assert_string_equal(g[1].home_rule, "vCPU soft affinity");
        doms[1].soft = 0xf;
        assert_int_equal(list(be, g), 3);
        assert_int_equal(g[1].home, 0); /* the daemon's own rule then */
        be->ops->close(be);
}

/* A domain being built is passed over and asked for again soon; a dying one too. */
static void test_settling(void **state)
{
        struct nf_backend *be;
        struct nf_guest_info g[8];

        (void)state;
        be = open_be(NULL);
        doms[3] = (struct fake_dom){5, XEN_DOMINF_hvm_guest, false, "new5", {0, 64}, 0x3, 0xf, 0xf};
        doms[4] = (struct fake_dom){6, XEN_DOMINF_dying, true, "old6", {0, 0}, 0x3, 0xf, 0xf};
        ndoms = 5;
        assert_int_equal(list(be, g), 3);
        assert_int_equal(be->ops->relist_after(be), NF_NS_PER_SEC);
        doms[3].introduced = true;
        assert_int_equal(list(be, g), 4);
        assert_string_equal(g[3].name, "new5");
        assert_int_equal(be->ops->relist_after(be), 0);
        be->ops->close(be);
}

/* The watch's fd is readable after xenstore events and ack drains them all. */
static void test_watch(void **state)
{
        struct nf_backend *be;

        (void)state;
        be = open_be(NULL);
        assert_true(be->ops->watch_fd(be) >= 0);
        assert_int_equal(watch_pending, 2); /* the two watches' first firing */
        assert_int_equal(be->ops->watch_ack(be), 0);
        assert_int_equal(watch_pending, 0);
        fire_watch();
        assert_int_equal(be->ops->watch_ack(be), 0);
        assert_int_equal(watch_pending, 0);
        assert_int_equal(be->ops->watch_ack(be), 0); /* nothing pending is no error */
        be->ops->close(be);
}

/* Patched: one hypercall per guest per sample, whatever its size. */
static void test_patched_pages(void **state)
{
        struct nf_backend *be;
        uint64_t pages[2];

        (void)state;
        be = open_be(NULL);
        domctl_calls = 0;
        assert_int_equal(be->ops->guest_pages(be, 2, pages, 2), 0);
        assert_int_equal(domctl_calls, 1);
        assert_int_equal(pages[0], 300);
        assert_int_equal(pages[1], 0);
        doms[2].pages[0] = 300000;
        assert_int_equal(be->ops->guest_pages(be, 2, pages, 2), 0);
        assert_int_equal(domctl_calls, 2);
        assert_int_equal(be->ops->guest_pages(be, 7, pages, 2), -ESRCH);
        assert_int_equal(sendkeys_calls, 0);
        be->ops->close(be);
}

/* The resumable scan: the cursor goes round, moved and skipped add up, refusals say why. */
static void test_migrate(void **state)
{
        struct nf_backend *be;
        struct nf_migrate_cursor cur = {.budget_ns = 0};
        struct nf_migrate_result res;
        int calls = 0;

        (void)state;
        be = open_be(NULL);
        do {
                assert_int_equal(be->ops->migrate(be, 2, NF_NODE_BIT(0), 1, 4096, &cur, &res), 0);
                calls++;
        } while (res.more);
        assert_int_equal(calls, 3);
        assert_int_equal(cur.pos[0], 0); /* round again from the start */
        assert_int_equal(doms[2].pages[0], 0);
        assert_int_equal(doms[2].pages[1], 300);
        assert_int_equal(be->ops->migrate(be, 1, NF_NODE_BIT(0), 1, 4096, &cur, &res), -EOPNOTSUPP);
        assert_true(res.why[0] != '\0');
        assert_int_equal(be->ops->migrate(be, 9, NF_NODE_BIT(0), 1, 4096, &cur, &res), -ESRCH);
        be->ops->close(be);
}

/* Stock: the 'u' dump, at most once per dump_interval, read in pieces, only new output;
 * migrate and pools say why they are missing. */
static void test_stock(void **state)
{
        struct nf_backend *be;
        struct nf_guest_info g[8];
        struct nf_migrate_cursor cur = {.budget_ns = 0};
        struct nf_migrate_result res;
        uint64_t pages[2];
        void *conf = nf_backend_xen_ops.conf_new();
        char err[128];

        (void)state;
        patched = false;
        assert_int_equal(
            nf_backend_xen_ops.conf_key(conf, NULL, NULL, "dump_interval", "5s", err, sizeof(err)),
            -ERANGE);
        assert_int_equal(
            nf_backend_xen_ops.conf_key(conf, NULL, NULL, "dump_interval", "30s", err, sizeof(err)),
            0);
        assert_int_equal(
            nf_backend_xen_ops.conf_key(conf, NULL, NULL, "no_such_key", "1", err, sizeof(err)),
            -ENOENT);
        be = open_be(conf);
        assert_int_equal(be->ops->caps(be), NF_CAP_OBSERVE | NF_CAP_WATCH);
        assert_non_null(strstr(be->ops->describe(be),
                               "stock hypervisor: observe-only, migrate and pools unavailable"));
        assert_int_equal(list(be, g), 3);
        assert_false(g[2].migratable);
        assert_non_null(strstr(g[2].why_not, "stock hypervisor"));
        ring_piece = 7; /* the ring hands the dump out in scraps */
        assert_int_equal(be->ops->guest_pages(be, 1, pages, 2), 0);
        assert_int_equal(sendkeys_calls, 1);
        assert_int_equal(pages[0], 0);
        assert_int_equal(pages[1], 500);
        assert_int_equal(be->ops->guest_pages(be, 0, pages, 2), 0);
        assert_int_equal(pages[0], 1000);
        /* The old "Domain 9" in the ring before the daemon started is not believed. */
        assert_int_equal(be->ops->guest_pages(be, 9, pages, 2), -EAGAIN);
        /* Within the interval: the same dump, no new one. */
        doms[1].pages[0] = 100;
        fake_now += 29 * NF_NS_PER_SEC;
        assert_int_equal(be->ops->guest_pages(be, 1, pages, 2), 0);
        assert_int_equal(sendkeys_calls, 1);
        assert_int_equal(pages[0], 0);
        /* A domain newer than the dump: not observed yet. */
        doms[3] = (struct fake_dom){4, 0, true, "late", {8, 8}, 0x3, 0xf, 0xf};
        ndoms = 4;
        assert_int_equal(be->ops->guest_pages(be, 4, pages, 2), -EAGAIN);
        fake_now += 1 * NF_NS_PER_SEC;
        assert_int_equal(be->ops->guest_pages(be, 4, pages, 2), 0);
        assert_int_equal(sendkeys_calls, 2);
        assert_int_equal(pages[1], 8);
        assert_int_equal(be->ops->guest_pages(be, 1, pages, 2), 0);
        assert_int_equal(pages[0], 100);
        assert_int_equal(be->ops->migrate(be, 1, NF_NODE_BIT(0), 1, 64, &cur, &res), -EOPNOTSUPP);
        assert_non_null(strstr(res.why, "stock hypervisor"));
        assert_int_equal(be->ops->pool_set(be, 0, 10), -EOPNOTSUPP);
        be->ops->close(be);
        nf_backend_xen_ops.conf_free(conf);
}

/* A dump bigger than the console ring loses its start: the domains still in the ring are
 * read, the others are not observed; a ring holding nothing of it says so in status. */
static void test_stock_small_ring(void **state)
{
        struct nf_backend *be;
        uint64_t pages[2];

        (void)state;
        patched = false;
        be = open_be(NULL);
        ring_cap = 120; /* the last domain's three lines and a bit */
        assert_int_equal(be->ops->guest_pages(be, 2, pages, 2), 0);
        assert_int_equal(pages[0], 300);
        assert_int_equal(be->ops->guest_pages(be, 0, pages, 2), -EAGAIN);
        assert_null(strstr(be->ops->describe(be), "not found"));
        ring_cap = 10;
        fake_now += 60 * NF_NS_PER_SEC;
        assert_int_equal(be->ops->guest_pages(be, 2, pages, 2), -EAGAIN);
        assert_non_null(strstr(be->ops->describe(be), "not found in the console ring"));
        be->ops->close(be);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup(test_list_and_homes, setup),
            cmocka_unit_test_setup(test_settling, setup),
            cmocka_unit_test_setup(test_watch, setup),
            cmocka_unit_test_setup(test_patched_pages, setup),
            cmocka_unit_test_setup(test_migrate, setup),
            cmocka_unit_test_setup(test_stock, setup),
            cmocka_unit_test_setup(test_stock_small_ring, setup),
        };

        return cmocka_run_group_tests(tests, NULL, NULL);
}
