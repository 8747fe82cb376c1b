/* Xen home-node rules: a domain's node affinity, then its vCPUs' hard, then soft affinity. */
#ifndef NF_XEN_HOME_H
#define NF_XEN_HOME_H

#include <stddef.h>
#include <stdint.h>

#include "numaflip/backend.h"

/*
 * What Xen says about where a domain belongs, as node sets (0: not known). A set equal
 * to all nodes says nothing: it is what Xen reports for a domain nobody placed.
 */
struct xen_home_input {
        nf_nodemask_t node_affinity; /* xc_domain_node_getaffinity */
        nf_nodemask_t hard;          /* nodes of the CPUs in the vCPUs' hard affinity */
        nf_nodemask_t soft;          /* ... and in their soft affinity */
        nf_nodemask_t all;           /* every node of the host */
};

/*
 * The first informative set among node affinity, hard, soft (trimmed to all), with the
 * rule's name in *rule (static text); node affinity is passed over when an informative
 * hard affinity shares no node with it (the vCPUs were re-pinned since libxl set it).
 * 0 and *rule NULL when none says anything, so the
 * daemon's own fallback (the node holding most memory when first seen) applies. The
 * daemon's config home comes before all of these.
 */
nf_nodemask_t xen_home_resolve(const struct xen_home_input *in, const char **rule);

/*
 * The nodes of the CPUs set in a Xen cpumap (bit c of byte c / 8 for CPU c), using
 * cpu_node[c] for c < nr_cpus; CPUs beyond nr_cpus or on no node (cpu_node >= NF_MAX_NODES,
 * e.g. XEN_INVALID_NODE_ID) are ignored.
 */
nf_nodemask_t xen_home_cpumap_nodes(const uint8_t *cpumap, size_t bytes, const uint32_t *cpu_node,
                                    unsigned nr_cpus);

#endif
