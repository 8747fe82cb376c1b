/* Placement math: where a guest's pages are, what is remote, which node is home. */
#ifndef NF_PLACEMENT_H
#define NF_PLACEMENT_H

#include <stdbool.h>
#include <stdint.h>

#include "numaflip/backend.h"

/* One observation of a guest. */
struct nf_sample {
        uint64_t total_pages;
        uint64_t remote_pages; /* pages on nodes outside the home set */
        double remote_share;   /* remote_pages / total_pages; 0 when total is 0 */
};

/* Summarises pages[0..nr_nodes) against the home set. A home of 0 means "unknown":
 * every page counts as local (so does a home with no node below nr_nodes). */
void nf_placement_sample(const uint64_t *pages, unsigned nr_nodes, nf_nodemask_t home,
                         struct nf_sample *out);

/* The home set for a guest: the configured override when not 0, else the backend's
 * vCPU-derived set, else the node holding most of its pages (ties: lowest node), else
 * 0. Sets are trimmed to nr_nodes (when not 0); one left empty counts as not given. */
nf_nodemask_t nf_placement_home(nf_nodemask_t configured, nf_nodemask_t from_backend,
                                const uint64_t *pages, unsigned nr_nodes);

/* The home node to migrate to: the member of home with the most free pages
 * (ties: lowest node). -1 when home has no node below nr_nodes. */
int nf_placement_target(nf_nodemask_t home, const struct nf_topology *topo);

/* Remote pages to move so that the remote share falls to at most target. */
uint64_t nf_placement_excess(const struct nf_sample *s, double target);

/* Mask of the nodes outside home (within nr_nodes), the "from" set of a migration;
 * 0 when home is unknown, as in nf_placement_sample. */
nf_nodemask_t nf_placement_remote_mask(nf_nodemask_t home, unsigned nr_nodes);

/* Formats a mask as a node list, e.g. "0-2,5"; "none" for 0. Returns buf. */
char *nf_nodemask_format(nf_nodemask_t m, char *buf, size_t len);

/* Parses "1", "0,2", "0-3", "all" (needs nr_nodes) into a mask; 0 or -EINVAL. Nodes
 * must be below nr_nodes, or below NF_MAX_NODES when nr_nodes is 0 (not yet known). */
int nf_nodemask_parse(const char *s, unsigned nr_nodes, nf_nodemask_t *out, char *err,
                      size_t errlen);

#endif
