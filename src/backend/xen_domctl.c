/* XEN_DOMCTL_numaflip client over libxencall: builds the domctl by hand so no patched libxenctrl is
 * needed. */
#include "xen_domctl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xencall.h>

/* Enough for MAX_NUMNODES (64) counters after the domctl itself. */
#define NF_MAX_NODES 64

struct nf_xen_domctl_ctx {
        xencall_handle *xcall;
        struct nf_xen_domctl *dc; /* hypercall buffer: the domctl ... */
        uint64_t *pages;          /* ... followed by the node counters */
};

/* Pool ops need some domain for the permission check: the caller's own. */
#define NF_DOMID_SELF_ID 0

int nf_xen_domctl_open(struct nf_xen_domctl_ctx **out)
{
        struct nf_xen_domctl_ctx *ctx;
        void *buf;
        int err;

        ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;
        ctx->xcall = xencall_open(NULL, 0);
        if (!ctx->xcall) {
                err = errno ? errno : ENOENT;
                free(ctx);
                return -err;
        }
        buf = xencall_alloc_buffer(ctx->xcall, sizeof(*ctx->dc) + NF_MAX_NODES * sizeof(uint64_t));
        if (!buf) {
                err = errno ? errno : ENOMEM;
                xencall_close(ctx->xcall);
                free(ctx);
                return -err;
        }
        ctx->dc = buf;
        ctx->pages = (uint64_t *)((char *)buf + sizeof(*ctx->dc));
        *out = ctx;
        return 0;
}

void nf_xen_domctl_close(struct nf_xen_domctl_ctx *ctx)
{
        if (!ctx)
                return;
        xencall_free_buffer(ctx->xcall, ctx->dc);
        xencall_close(ctx->xcall);
        free(ctx);
}

static void prepare(struct nf_xen_domctl_ctx *ctx, uint16_t domid, uint32_t op, uint32_t node)
{
        memset(ctx->dc, 0, sizeof(*ctx->dc));
        ctx->dc->cmd = NF_XEN_DOMCTL_NUMAFLIP;
        ctx->dc->interface_version = NF_XEN_DOMCTL_INTERFACE_VERSION;
        ctx->dc->domain = domid;
        ctx->dc->u.numaflip.op = op;
        ctx->dc->u.numaflip.node = node;
}

/* Xen copies the domctl back even on failure, so outputs stay readable. */
static int issue(struct nf_xen_domctl_ctx *ctx)
{
        int rc = xencall1(ctx->xcall, NF_XEN_HYPERCALL_DOMCTL, (uint64_t)(uintptr_t)ctx->dc);

        if (rc < 0)
                return errno ? -errno : -EIO;
        return 0;
}

int nf_xen_domctl_probe(struct nf_xen_domctl_ctx *ctx)
{
        prepare(ctx, NF_DOMID_SELF_ID, NF_XEN_NUMAFLIP_POOL_GET, 0);
        return issue(ctx);
}

bool nf_xen_domctl_absent(int probe_rc)
{
        return probe_rc == -ENOSYS || probe_rc == -EACCES;
}

const char *nf_xen_domctl_probe_str(int probe_rc)
{
        switch (probe_rc) {
        case 0:
                return "XEN_DOMCTL_numaflip present";
        case -ENOSYS:
                return "XEN_DOMCTL_numaflip absent (ENOSYS: Xen 4.17 without the numaflip series)";
        case -EACCES:
                return "XEN_DOMCTL_numaflip absent (EACCES: a Xen whose domctl interface version "
                       "is not 4.17's; the series exists for 4.17 only)";
        case -EPERM:
                return "XEN_DOMCTL_numaflip refused (EPERM: not the control domain, or XSM denies "
                       "numaflip)";
        default:
                return "XEN_DOMCTL_numaflip probe failed (unexpected error)";
        }
}

int nf_xen_domctl_node_pages(struct nf_xen_domctl_ctx *ctx, uint16_t domid, uint64_t *pages,
                             uint32_t *nr_nodes, uint32_t *tot_pages)
{
        struct nf_xen_numaflip_node_pages *np;
        uint32_t cap = *nr_nodes < NF_MAX_NODES ? *nr_nodes : NF_MAX_NODES;
        int rc;

        prepare(ctx, domid, NF_XEN_NUMAFLIP_NODE_PAGES, 0);
        np = &ctx->dc->u.numaflip.u.node_pages;
        np->nr_nodes = cap;
        np->pages = (uint64_t)(uintptr_t)ctx->pages;
        rc = issue(ctx);
        if (rc && rc != -ENOBUFS)
                return rc;
        *nr_nodes = np->nr_nodes;
        if (rc)
                return rc;
        memcpy(pages, ctx->pages, np->nr_nodes * sizeof(*pages));
        if (tot_pages)
                *tot_pages = np->tot_pages;
        return 0;
}

int nf_xen_domctl_migrate(struct nf_xen_domctl_ctx *ctx, uint16_t domid, uint32_t to_node,
                          struct nf_xen_numaflip_migrate *io)
{
        int rc;

        prepare(ctx, domid, NF_XEN_NUMAFLIP_MIGRATE, to_node);
        ctx->dc->u.numaflip.u.migrate.from_nodes = io->from_nodes;
        ctx->dc->u.numaflip.u.migrate.gfn = io->gfn;
        ctx->dc->u.numaflip.u.migrate.max_pages = io->max_pages;
        rc = issue(ctx);
        if (rc == -ENOSYS || rc == -EOPNOTSUPP || rc == -EINVAL || rc == -ESRCH || rc == -EACCES ||
            rc == -EPERM)
                return rc;
        /* Success or a mid-batch stop (-ENOMEM): report the work done. */
        *io = ctx->dc->u.numaflip.u.migrate;
        return rc;
}

static int pool_call(struct nf_xen_domctl_ctx *ctx, uint32_t op, uint32_t node, uint64_t target,
                     uint32_t enabled, struct nf_xen_numaflip_pool *out)
{
        int rc;

        prepare(ctx, NF_DOMID_SELF_ID, op, node);
        ctx->dc->u.numaflip.u.pool.target = target;
        ctx->dc->u.numaflip.u.pool.enabled = enabled;
        rc = issue(ctx);
        if (out && (!rc || rc == -ENOMEM))
                *out = ctx->dc->u.numaflip.u.pool;
        return rc;
}

int nf_xen_domctl_pool_get(struct nf_xen_domctl_ctx *ctx, uint32_t node,
                           struct nf_xen_numaflip_pool *out)
{
        return pool_call(ctx, NF_XEN_NUMAFLIP_POOL_GET, node, 0, 0, out);
}

int nf_xen_domctl_pool_set(struct nf_xen_domctl_ctx *ctx, uint32_t node, uint64_t target,
                           struct nf_xen_numaflip_pool *out)
{
        return pool_call(ctx, NF_XEN_NUMAFLIP_POOL_SET, node, target, 0, out);
}

int nf_xen_domctl_pool_enable(struct nf_xen_domctl_ctx *ctx, uint32_t node, bool enable,
                              struct nf_xen_numaflip_pool *out)
{
        return pool_call(ctx, NF_XEN_NUMAFLIP_POOL_ENABLE, node, 0, enable, out);
}

int nf_xen_domctl_set_receiver(struct nf_xen_domctl_ctx *ctx, uint16_t domid, bool enable)
{
        prepare(ctx, domid, NF_XEN_NUMAFLIP_SET_RECEIVER, 0);
        ctx->dc->u.numaflip.u.receiver.enable = enable;
        return issue(ctx);
}
