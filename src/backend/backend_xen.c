/* The xen backend: guests, topology and placement of a Xen dom0 through libxenctrl and xenstore,
 * migration and flip pools through the patched hypervisor's domctl. */
#include "numaflip/backend.h"
#include "nf_err.h"
#include "nf_keys.h"
#include "nf_units.h"
#include "xen_domctl.h"
#include "xen_home.h"
#include "xen_udump.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xenctrl.h>
#include <xenstore.h>
#include <xentoollog.h>

#define XEN_PRIVCMD "/dev/xen/privcmd"
#define XEN_PRIVCMD_OLD "/proc/xen/privcmd"
#define STOCK_WHY "stock hypervisor: observe-only, migrate and pools unavailable"
#define RING_CHUNK (64u * 1024u)
#define RING_MAX_READS 256u /* 16 MiB of console output per dump at most */
#define SETTLE_NS NF_NS_PER_SEC

/* [xen] */
struct xen_conf {
        uint64_t dump_interval_ns; /* stock hypervisor: least time between two 'u' dumps */
};

static const struct nf_key xen_keys[] = {
    /* The dump walks every page of every domain under a lock: big hosts have hit the
     * watchdog with it, so it is rate-limited with a floor. */
    NF_KEY_ENTRY(struct xen_conf, dump_interval_ns, "dump_interval", NF_KEY_DURATION,
                 .min = 10 * NF_NS_PER_SEC, .max = 86400 * NF_NS_PER_SEC),
};

static const struct nf_key *xen_conf_keys(const char *kind, size_t *n)
{
        *n = kind ? 0 : sizeof(xen_keys) / sizeof(xen_keys[0]);
        return kind ? NULL : xen_keys;
}

struct xen_backend {
        struct nf_backend base; /* first: the daemon reaches ops through it */
        struct nf_clock clock;
        xentoollog_logger_stdiostream *log;
        xc_interface *xch;
        struct xs_handle *xsh;
        struct nf_xen_domctl_ctx *dctl; /* NULL on a stock hypervisor */
        unsigned nr_nodes;
        unsigned nr_cpus;
        uint32_t *cpu_node;
        xc_cpumap_t hard, soft;
        int cpumap_bytes;
        xc_nodemap_t nodemap;
        int nodemap_bytes;
        xc_domaininfo_t *info; /* listing buffer */
        size_t info_cap;
        xc_meminfo_t *mem;
        uint32_t *dist;
        bool settling; /* the last listing skipped a domain still being built */
        /* stock hypervisor: the 'u' dump */
        uint64_t dump_interval_ns;
        uint64_t last_dump_ns;
        bool dumped;
        uint32_t ring_index;
        char *ring;
        struct xen_udump udump;
        char dump_error[64]; /* why the last dump gave nothing, for status */
        char desc[224];
};

static struct xen_backend *to_xen(struct nf_backend *be)
{
        return (struct xen_backend *)be;
}

static void *xen_conf_new(void)
{
        struct xen_conf *c = calloc(1, sizeof(*c));

        if (c)
                c->dump_interval_ns = 60 * NF_NS_PER_SEC;
        return c;
}

static void xen_conf_free(void *conf)
{
        free(conf);
}

static int xen_conf_key(void *conf, const char *kind, const char *arg, const char *key,
                        const char *value, char *err, size_t errlen)
{
        const struct nf_key *k;

        (void)arg;
        if (kind)
                return -ENOENT; /* nothing of the xen backend's in [vm NAME] */
        k = nf_key_find(xen_keys, sizeof(xen_keys) / sizeof(xen_keys[0]), key);
        return k ? nf_key_parse(k, conf, value, err, errlen) : -ENOENT;
}

static int xen_probe(char *why, size_t whylen)
{
        if (access(XEN_PRIVCMD, F_OK) == 0 || access(XEN_PRIVCMD_OLD, F_OK) == 0)
                return 0;
        return nf_err(-ENODEV, why, whylen, "no %s or %s: not a Xen dom0", XEN_PRIVCMD,
                      XEN_PRIVCMD_OLD);
}

/* Why the hypervisor interface did not open, in words an operator can act on. */
static int open_error(int e, char *err, size_t errlen)
{
        if (access(XEN_PRIVCMD, F_OK) != 0 && access(XEN_PRIVCMD_OLD, F_OK) != 0)
                return nf_err(-ENODEV, err, errlen,
                              "cannot open %s: neither it nor %s exists: not a Xen dom0, or "
                              "xen-privcmd not loaded and xenfs not mounted on /proc/xen",
                              XEN_PRIVCMD, XEN_PRIVCMD_OLD);
        if (e == EACCES || e == EPERM)
                return nf_err(-e, err, errlen,
                              "cannot open %s: %s: numaflipd must run as root in dom0 (or "
                              "the unit lacks DeviceAllow for it)",
                              XEN_PRIVCMD, strerror(e));
        return nf_err(-e, err, errlen, "cannot open %s: %s", XEN_PRIVCMD, strerror(e));
}

/* CPUs' nodes and the map buffers: fixed for the life of the backend. */
static int read_cpus(struct xen_backend *xb, char *err, size_t errlen)
{
        unsigned n = 0;
        xc_cputopo_t *topo;

        if (xc_cputopoinfo(xb->xch, &n, NULL) != 0 || n == 0)
                return nf_err(errno ? -errno : -EIO, err, errlen,
                              "xc_cputopoinfo: %s (is this the control domain?)",
                              strerror(errno ? errno : EIO));
        topo = calloc(n, sizeof(*topo));
        xb->cpu_node = calloc(n, sizeof(*xb->cpu_node));
        if (!topo || !xb->cpu_node) {
                free(topo);
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        }
        if (xc_cputopoinfo(xb->xch, &n, topo) != 0) {
                free(topo);
                return nf_err(-errno, err, errlen, "xc_cputopoinfo: %s", strerror(errno));
        }
        for (unsigned c = 0; c < n; c++)
                xb->cpu_node[c] = topo[c].node; /* XEN_INVALID_NODE_ID when offline */
        xb->nr_cpus = n;
        free(topo);
        xb->cpumap_bytes = xc_get_cpumap_size(xb->xch);
        xb->nodemap_bytes = xc_get_nodemap_size(xb->xch);
        xb->hard = xc_cpumap_alloc(xb->xch);
        xb->soft = xc_cpumap_alloc(xb->xch);
        xb->nodemap = xc_nodemap_alloc(xb->xch);
        if (xb->cpumap_bytes <= 0 || xb->nodemap_bytes <= 0 || !xb->hard || !xb->soft ||
            !xb->nodemap)
                return nf_err(-ENOMEM, err, errlen, "cannot allocate CPU and node maps");
        return 0;
}

static int read_nodes(struct xen_backend *xb, char *err, size_t errlen)
{
        unsigned n = 0;

        if (xc_numainfo(xb->xch, &n, NULL, NULL) != 0 || n == 0) {
                int e = errno ? errno : EIO;

                /* The first privileged call: a domU has privcmd too, but may not make it. */
                return nf_err(
                    -e, err, errlen, "xc_numainfo through %s: %s%s", XEN_PRIVCMD, strerror(e),
                    e == EPERM || e == EACCES ? ": this is not the control domain (dom0)" : "");
        }
        if (n > NF_MAX_NODES)
                return nf_err(-ERANGE, err, errlen, "%u NUMA nodes: at most %d are supported", n,
                              NF_MAX_NODES);
        xb->nr_nodes = n;
        xb->mem = calloc(n, sizeof(*xb->mem));
        xb->dist = calloc((size_t)n * n, sizeof(*xb->dist));
        if (!xb->mem || !xb->dist)
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        return 0;
}

static void describe_stock(struct xen_backend *xb)
{
        snprintf(xb->desc, sizeof(xb->desc),
                 "%s; placement from the 'u' debug-key dump every %llus%s", STOCK_WHY,
                 (unsigned long long)(xb->dump_interval_ns / NF_NS_PER_SEC), xb->dump_error);
}

/* Reads the console ring from where the last read ended, into the parser (or nowhere). */
static int read_ring(struct xen_backend *xb, bool parse)
{
        for (unsigned i = 0; i < RING_MAX_READS; i++) {
                unsigned size = RING_CHUNK;

                if (xc_readconsolering(xb->xch, xb->ring, &size, 0, 1, &xb->ring_index) != 0)
                        return errno ? -errno : -EIO;
                if (parse && xen_udump_feed(&xb->udump, xb->ring, size) < 0)
                        return -ENOMEM;
                /* Until a read comes back empty: a short one need not be the last. */
                if (size == 0)
                        return 0;
        }
        return 0;
}

static void xen_close(struct nf_backend *be)
{
        struct xen_backend *xb = to_xen(be);

        if (!xb)
                return;
        nf_xen_domctl_close(xb->dctl);
        if (xb->xsh)
                xs_close(xb->xsh);
        if (xb->xch) {
                free(xb->hard);
                free(xb->soft);
                free(xb->nodemap);
                xc_interface_close(xb->xch);
        }
        if (xb->log)
                xtl_logger_destroy((xentoollog_logger *)xb->log);
        xen_udump_free(&xb->udump);
        free(xb->ring);
        free(xb->cpu_node);
        free(xb->info);
        free(xb->mem);
        free(xb->dist);
        free(xb);
}

static int xen_open(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                    size_t errlen)
{
        const struct xen_conf *c = env ? env->conf : NULL;
        struct xen_backend *xb;
        int rc;

        *out = NULL;
        if (!env || !env->clock || !env->clock->now_ns)
                return nf_err(-EINVAL, err, errlen, "no clock given");
        xb = calloc(1, sizeof(*xb));
        if (!xb)
                return nf_err(-ENOMEM, err, errlen, "out of memory");
        xb->base.ops = &nf_backend_xen_ops;
        xb->clock = *env->clock;
        xb->dump_interval_ns = c ? c->dump_interval_ns : 60 * NF_NS_PER_SEC;
        /* libxenctrl's own messages for expected failures (a domain that just went) would
         * flood stderr: the backend reports errors itself. */
        xb->log = xtl_createlogger_stdiostream(stderr, XTL_CRITICAL, 0);
        errno = 0;
        xb->xch = xc_interface_open((xentoollog_logger *)xb->log, NULL, 0);
        if (!xb->xch) {
                rc = open_error(errno ? errno : ENOENT, err, errlen);
                goto fail;
        }
        if ((rc = read_nodes(xb, err, errlen)) < 0 || (rc = read_cpus(xb, err, errlen)) < 0)
                goto fail;
        xb->xsh = xs_open(0);
        if (!xb->xsh) {
                rc = nf_err(errno ? -errno : -ECONNREFUSED, err, errlen,
                            "cannot connect to xenstored (/dev/xen/xenbus or "
                            "/run/xenstored/socket): %s: is xenstored running?",
                            strerror(errno ? errno : ECONNREFUSED));
                goto fail;
        }
        if (!xs_watch(xb->xsh, "@introduceDomain", "nf") ||
            !xs_watch(xb->xsh, "@releaseDomain", "nf")) {
                rc = nf_err(errno ? -errno : -EIO, err, errlen,
                            "cannot watch @introduceDomain/@releaseDomain in xenstore: %s",
                            strerror(errno ? errno : EIO));
                goto fail;
        }
        rc = nf_xen_domctl_open(&xb->dctl);
        if (rc < 0) {
                nf_err(rc, err, errlen, "cannot open libxencall (/dev/xen/hypercall or %s): %s",
                       XEN_PRIVCMD, strerror(-rc));
                goto fail;
        }
        rc = nf_xen_domctl_probe(xb->dctl);
        if (nf_xen_domctl_absent(rc)) {
                /* No numaflip domctl: a stock hypervisor. */
                nf_xen_domctl_close(xb->dctl);
                xb->dctl = NULL;
                xb->ring = malloc(RING_CHUNK);
                if (!xb->ring) {
                        rc = nf_err(-ENOMEM, err, errlen, "out of memory");
                        goto fail;
                }
                xen_udump_init(&xb->udump, xb->nr_nodes);
                /* What the ring holds already is older than this daemon: skip it. */
                if ((rc = read_ring(xb, false)) < 0) {
                        nf_err(rc, err, errlen, "cannot read Xen's console ring: %s",
                               strerror(-rc));
                        goto fail;
                }
                describe_stock(xb);
        } else if (rc < 0) {
                nf_err(rc, err, errlen, "%s: %s", nf_xen_domctl_probe_str(rc), strerror(-rc));
                goto fail;
        } else {
                snprintf(xb->desc, sizeof(xb->desc),
                         "patched hypervisor: per-node pages by domctl, migrate and flip pools");
        }
        *out = &xb->base;
        return 0;
fail:
        xen_close(&xb->base);
        return rc;
}

static unsigned xen_caps(const struct nf_backend *be)
{
        const struct xen_backend *xb = (const struct xen_backend *)be;

        return NF_CAP_OBSERVE | NF_CAP_WATCH | (xb->dctl ? NF_CAP_MIGRATE | NF_CAP_POOL : 0);
}

static int xen_topology(struct nf_backend *be, struct nf_topology *topo)
{
        struct xen_backend *xb = to_xen(be);
        unsigned n = xb->nr_nodes;

        if (xc_numainfo(xb->xch, &n, xb->mem, xb->dist) != 0)
                return errno ? -errno : -EIO;
        memset(topo, 0, sizeof(*topo));
        topo->nr_nodes = n < xb->nr_nodes ? n : xb->nr_nodes;
        for (unsigned i = 0; i < topo->nr_nodes; i++) {
                bool on = xb->mem[i].memsize != XEN_INVALID_MEM_SZ;

                topo->node[i].total_pages = on ? xb->mem[i].memsize / NF_PAGE_SIZE : 0;
                topo->node[i].free_pages = on ? xb->mem[i].memfree / NF_PAGE_SIZE : 0;
                for (unsigned j = 0; j < topo->nr_nodes; j++) {
                        uint32_t dst = xb->dist[i * xb->nr_nodes + j];

                        topo->distance[i][j] = dst > 254 ? 255 : (uint8_t)dst;
                }
        }
        return 0;
}

static nf_nodemask_t map_to_mask(const uint8_t *map, int bytes)
{
        nf_nodemask_t m = 0;

        for (int i = 0; i < bytes && i < 8; i++)
                m |= (nf_nodemask_t)map[i] << (8 * i);
        return m;
}

/* Home of a domain by Xen's own settings, re-read every listing so that re-pinning it
 * moves its home. */
static void read_home(struct xen_backend *xb, const xc_domaininfo_t *di, struct nf_guest_info *g)
{
        struct xen_home_input in = {0};
        const char *rule = NULL;

        in.all = xb->nr_nodes >= NF_MAX_NODES ? ~(nf_nodemask_t)0 : NF_NODE_BIT(xb->nr_nodes) - 1;
        if (xc_domain_node_getaffinity(xb->xch, di->domain, xb->nodemap) == 0)
                in.node_affinity = map_to_mask(xb->nodemap, xb->nodemap_bytes);
        if (di->max_vcpu_id != XEN_INVALID_MAX_VCPU_ID)
                for (uint32_t v = 0; v <= di->max_vcpu_id; v++) {
                        if (xc_vcpu_getaffinity(xb->xch, di->domain, (int)v, xb->hard, xb->soft,
                                                XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT) != 0)
                                continue; /* a vCPU not brought up */
                        in.hard |= xen_home_cpumap_nodes(xb->hard, (size_t)xb->cpumap_bytes,
                                                         xb->cpu_node, xb->nr_cpus);
                        in.soft |= xen_home_cpumap_nodes(xb->soft, (size_t)xb->cpumap_bytes,
                                                         xb->cpu_node, xb->nr_cpus);
                }
        g->home = xen_home_resolve(&in, &rule);
        snprintf(g->home_rule, sizeof(g->home_rule), "%s", rule ? rule : "");
}

static void read_name(struct xen_backend *xb, uint32_t domid, struct nf_guest_info *g)
{
        char path[64];
        unsigned len = 0;
        char *name;

        snprintf(path, sizeof(path), "/local/domain/%u/name", domid);
        name = xs_read(xb->xsh, XBT_NULL, path, &len);
        if (name && len > 0)
                snprintf(g->name, sizeof(g->name), "%.*s", (int)len, name);
        else
                snprintf(g->name, sizeof(g->name), "%s-%u", domid ? "domain" : "Domain", domid);
        free(name);
}

static void format_uuid(const uint8_t h[16], char *out)
{
        snprintf(out, NF_UUID_LEN,
                 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", h[0], h[1],
                 h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9], h[10], h[11], h[12], h[13], h[14],
                 h[15]);
}

/* All domains, in xb->info; their number in *n. */
static int get_domains(struct xen_backend *xb, size_t *n)
{
        size_t got = 0;
        uint32_t next = 0;

        for (;;) {
                int r;

                if (got == xb->info_cap) {
                        size_t cap = xb->info_cap ? 2 * xb->info_cap : 64;
                        xc_domaininfo_t *p = realloc(xb->info, cap * sizeof(*p));

                        if (!p)
                                return -ENOMEM;
                        xb->info = p;
                        xb->info_cap = cap;
                }
                r = xc_domain_getinfolist(xb->xch, next, (unsigned)(xb->info_cap - got),
                                          xb->info + got);
                if (r < 0)
                        return errno ? -errno : -EIO;
                got += (size_t)r;
                if ((size_t)r == 0 || got < xb->info_cap)
                        break;
                next = xb->info[got - 1].domain + 1u;
        }
        *n = got;
        return 0;
}

static int xen_list_guests(struct nf_backend *be, struct nf_guest_info *buf, size_t cap, size_t *n)
{
        struct xen_backend *xb = to_xen(be);
        size_t nd = 0, k = 0;
        int rc = get_domains(xb, &nd);

        if (rc < 0)
                return rc;
        xb->settling = false;
        for (size_t i = 0; i < nd; i++) {
                const xc_domaininfo_t *di = &xb->info[i];
                struct nf_guest_info *g;

                if (di->flags & XEN_DOMINF_dying)
                        continue; /* going: @releaseDomain says when it is gone */
                if (di->domain != 0 && !xs_is_domain_introduced(xb->xsh, di->domain)) {
                        /* Still being built: no watch fires when the build is done. */
                        xb->settling = true;
                        continue;
                }
                if (k++ >= cap)
                        continue;
                g = &buf[k - 1];
                memset(g, 0, sizeof(*g));
                g->id = di->domain;
                read_name(xb, di->domain, g);
                format_uuid(di->handle, g->uuid);
                g->memory_pages = di->tot_pages;
                read_home(xb, di, g);
                g->control = di->domain == 0;
                g->migratable = xb->dctl && !g->control;
                if (!xb->dctl)
                        snprintf(g->why_not, sizeof(g->why_not), "%s", STOCK_WHY);
                else if (!(di->flags & XEN_DOMINF_hvm_guest))
                        /* The hypervisor says so on the first migrate; status says it now. */
                        snprintf(g->why_not, sizeof(g->why_not), "%s",
                                 "PV guest: its memory cannot be migrated");
                if (g->why_not[0] && !g->control)
                        g->migratable = false;
        }
        *n = k;
        return 0;
}

/* Stock hypervisor: a fresh 'u' dump when the last is older than the interval. */
static void maybe_dump(struct xen_backend *xb)
{
        uint64_t now = xb->clock.now_ns(&xb->clock);

        if (xb->dumped && now - xb->last_dump_ns < xb->dump_interval_ns)
                return;
        xb->dumped = true;
        xb->last_dump_ns = now;
        /* The key handler runs to its end inside the sysctl: the dump is in the ring when
         * it returns. */
        if (xc_send_debug_keys(xb->xch, "u") != 0) {
                snprintf(xb->dump_error, sizeof(xb->dump_error), "; 'u' key refused: %s",
                         strerror(errno));
                return;
        }
        xen_udump_expect(&xb->udump);
        if (read_ring(xb, true) < 0 || xen_udump_take(&xb->udump) == 0 ||
            xen_udump_count(&xb->udump) == 0)
                snprintf(xb->dump_error, sizeof(xb->dump_error), "%s",
                         "; the last 'u' dump was not found in the console ring");
        else
                xb->dump_error[0] = '\0';
        describe_stock(xb);
}

static int xen_guest_pages(struct nf_backend *be, uint32_t id, uint64_t *pages, unsigned nr_nodes)
{
        struct xen_backend *xb = to_xen(be);
        const struct xen_udump_dom *d;

        memset(pages, 0, nr_nodes * sizeof(*pages));
        if (id > UINT16_MAX)
                return -ESRCH;
        if (xb->dctl) {
                uint64_t buf[NF_MAX_NODES];
                uint32_t n = NF_MAX_NODES;
                int rc = nf_xen_domctl_node_pages(xb->dctl, (uint16_t)id, buf, &n, NULL);

                if (rc < 0)
                        return rc;
                memcpy(pages, buf, (n < nr_nodes ? n : nr_nodes) * sizeof(*pages));
                return 0;
        }
        maybe_dump(xb);
        d = xen_udump_find(&xb->udump, id);
        if (!d)
                return -EAGAIN; /* not in the last dump: newer than it, or cut from it */
        memcpy(pages, d->pages,
               (nr_nodes < xb->nr_nodes ? nr_nodes : xb->nr_nodes) * sizeof(*pages));
        return 0;
}

static int xen_migrate(struct nf_backend *be, uint32_t id, nf_nodemask_t from, unsigned to,
                       uint64_t max, struct nf_migrate_cursor *cursor,
                       struct nf_migrate_result *res)
{
        struct xen_backend *xb = to_xen(be);
        struct nf_xen_numaflip_migrate io = {0};
        int rc;

        memset(res, 0, sizeof(*res));
        if (!xb->dctl) {
                snprintf(res->why, sizeof(res->why), "%s", STOCK_WHY);
                return -EOPNOTSUPP;
        }
        if (id > UINT16_MAX)
                return -ESRCH;
        if (max == 0) {
                res->more = true;
                return 0;
        }
        io.from_nodes = from;
        io.gfn = cursor->pos[0];
        io.max_pages = max < NF_XEN_MIGRATE_MAX_PAGES ? (uint32_t)max : NF_XEN_MIGRATE_MAX_PAGES;
        rc = nf_xen_domctl_migrate(xb->dctl, (uint16_t)id, to, &io);
        if (rc == 0 || rc == -ENOMEM) {
                res->moved = io.moved;
                res->skipped = io.skipped;
                res->more = !io.done;
                cursor->pos[0] = io.done ? 0 : io.gfn;
        }
        if (rc == -EOPNOTSUPP)
                snprintf(res->why, sizeof(res->why), "%s",
                         "the hypervisor refuses to migrate it (PV, altp2m, passthrough or "
                         "shared memory)");
        return rc;
}

static int xen_pool_get(struct nf_backend *be, unsigned node, struct nf_pool_info *info)
{
        struct xen_backend *xb = to_xen(be);
        struct nf_xen_numaflip_pool p;
        int rc;

        if (!xb->dctl)
                return -EOPNOTSUPP;
        rc = nf_xen_domctl_pool_get(xb->dctl, node, &p);
        if (rc < 0)
                return rc;
        info->enabled = p.enabled != 0;
        info->target = p.target;
        info->held = p.held;
        info->handed_out = p.handed_out;
        info->hits = p.hits;
        info->misses = p.misses;
        info->fallbacks = p.fallbacks;
        return 0;
}

static int xen_pool_set(struct nf_backend *be, unsigned node, uint64_t target)
{
        struct xen_backend *xb = to_xen(be);

        return xb->dctl ? nf_xen_domctl_pool_set(xb->dctl, node, target, NULL) : -EOPNOTSUPP;
}

static int xen_pool_enable(struct nf_backend *be, unsigned node, bool enable)
{
        struct xen_backend *xb = to_xen(be);

        return xb->dctl ? nf_xen_domctl_pool_enable(xb->dctl, node, enable, NULL) : -EOPNOTSUPP;
}

static int xen_set_receiver(struct nf_backend *be, uint32_t id, bool receiver)
{
        struct xen_backend *xb = to_xen(be);

        if (!xb->dctl)
                return -EOPNOTSUPP;
        if (id > UINT16_MAX)
                return -ESRCH;
        return nf_xen_domctl_set_receiver(xb->dctl, (uint16_t)id, receiver);
}

static int xen_watch_fd(struct nf_backend *be)
{
        return xs_fileno(to_xen(be)->xsh);
}

static int xen_watch_ack(struct nf_backend *be)
{
        struct xen_backend *xb = to_xen(be);
        char **ev;

        /* Every pending event: the listing that follows sees what they announced. */
        while ((ev = xs_check_watch(xb->xsh)) != NULL)
                free(ev);
        return errno == EAGAIN ? 0 : -errno;
}

static uint64_t xen_relist_after(struct nf_backend *be)
{
        return to_xen(be)->settling ? SETTLE_NS : 0;
}

static int xen_reload(struct nf_backend *be, const void *conf, char *err, size_t errlen)
{
        struct xen_backend *xb = to_xen(be);
        const struct xen_conf *c = conf;

        (void)err;
        (void)errlen;
        xb->dump_interval_ns = c ? c->dump_interval_ns : 60 * NF_NS_PER_SEC;
        if (!xb->dctl)
                describe_stock(xb);
        return 0;
}

static const char *xen_describe(const struct nf_backend *be)
{
        return ((const struct xen_backend *)be)->desc;
}

const struct nf_backend_ops nf_backend_xen_ops = {
    .name = "xen",
    .compiled_in = true,
    .probe = xen_probe,
    .open = xen_open,
    .close = xen_close,
    .caps = xen_caps,
    .topology = xen_topology,
    .list_guests = xen_list_guests,
    .guest_pages = xen_guest_pages,
    .migrate = xen_migrate,
    .pool_get = xen_pool_get,
    .pool_set = xen_pool_set,
    .pool_enable = xen_pool_enable,
    .set_receiver = xen_set_receiver,
    .watch_fd = xen_watch_fd,
    .watch_ack = xen_watch_ack,
    .relist_after = xen_relist_after,
    .reload = xen_reload,
    .describe = xen_describe,
    .conf_sections = "xen",
    .conf_keys = xen_conf_keys,
    .conf_new = xen_conf_new,
    .conf_free = xen_conf_free,
    .conf_key = xen_conf_key,
};
