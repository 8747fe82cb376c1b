/* Issue the patched hypervisor's XEN_DOMCTL_numaflip through libxencall (works with Debian's
 * unpatched libxenctrl). */
#ifndef NUMAFLIP_XEN_DOMCTL_H
#define NUMAFLIP_XEN_DOMCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "numaflip/xen_abi.h"

/*
 * One context per thread: it owns a hypercall-safe buffer that every call
 * reuses.  All functions return 0 or -errno.  On a hypervisor without the
 * series every sub-op fails: -ENOSYS on Xen 4.17 (unknown domctl), -EACCES
 * on any other version (its domctl interface version differs from 4.17's,
 * which Xen checks first).  nf_xen_domctl_probe() tells without side
 * effects, nf_xen_domctl_probe_str() says which case it saw.
 */
struct nf_xen_domctl_ctx;

int nf_xen_domctl_open(struct nf_xen_domctl_ctx **out);
void nf_xen_domctl_close(struct nf_xen_domctl_ctx *ctx);

/* 0 if the domctl is present; -ENOSYS or -EACCES (see above) if absent; other -errno. */
int nf_xen_domctl_probe(struct nf_xen_domctl_ctx *ctx);

/* True if a probe result means the hypervisor lacks the series. */
bool nf_xen_domctl_absent(int probe_rc);

/* What a probe result means, for a log line (a static string). */
const char *nf_xen_domctl_probe_str(int probe_rc);

/*
 * Pages of @domid per node id: fills pages[0 .. *nr_nodes-1].  On entry
 * *nr_nodes is the capacity of @pages; on return the number of entries
 * (or, with -ENOBUFS, the number needed).  @tot_pages may be NULL.
 */
int nf_xen_domctl_node_pages(struct nf_xen_domctl_ctx *ctx, uint16_t domid, uint64_t *pages,
                             uint32_t *nr_nodes, uint32_t *tot_pages);

/*
 * One migrate batch: io->from_nodes, io->gfn (cursor) and io->max_pages in,
 * all fields out.  Loop until io->done or io->remaining stops falling.
 */
int nf_xen_domctl_migrate(struct nf_xen_domctl_ctx *ctx, uint16_t domid, uint32_t to_node,
                          struct nf_xen_numaflip_migrate *io);

/* Flip pool of @node.  @out may be NULL for set/enable. */
int nf_xen_domctl_pool_get(struct nf_xen_domctl_ctx *ctx, uint32_t node,
                           struct nf_xen_numaflip_pool *out);
int nf_xen_domctl_pool_set(struct nf_xen_domctl_ctx *ctx, uint32_t node, uint64_t target,
                           struct nf_xen_numaflip_pool *out);
int nf_xen_domctl_pool_enable(struct nf_xen_domctl_ctx *ctx, uint32_t node, bool enable,
                              struct nf_xen_numaflip_pool *out);

/* Mark or unmark @domid as a flip receiver (its freed frames refill pools). */
int nf_xen_domctl_set_receiver(struct nf_xen_domctl_ctx *ctx, uint16_t domid, bool enable);

#endif /* NUMAFLIP_XEN_DOMCTL_H */
