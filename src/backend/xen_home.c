/* Xen home-node rules: pure resolution of node affinity and vCPU affinity into a home set. */
#include "xen_home.h"

#define RULE_NODE_AFFINITY "node affinity"
#define RULE_HARD "vCPU hard affinity"
#define RULE_SOFT "vCPU soft affinity"
#define RULE_HARD_STALE "vCPU hard affinity, re-pinned"

/* Rule names are copied into nf_guest_info.home_rule: they must fit whole. */
_Static_assert(sizeof(RULE_HARD_STALE) <= sizeof(((struct nf_guest_info *)0)->home_rule),
               "home rule names fit nf_guest_info.home_rule");

/* A set says something when it is neither empty nor every node. */
static nf_nodemask_t informative(nf_nodemask_t m, nf_nodemask_t all)
{
        m &= all;
        return m == all ? 0 : m;
}

nf_nodemask_t xen_home_resolve(const struct xen_home_input *in, const char **rule)
{
        static const char *const names[] = {RULE_NODE_AFFINITY, RULE_HARD, RULE_SOFT};
        const nf_nodemask_t sets[] = {in->node_affinity, in->hard, in->soft};
        nf_nodemask_t hard = informative(in->hard, in->all);

        for (unsigned i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
                nf_nodemask_t m = informative(sets[i], in->all);

                /* libxl fixes node affinity from the vCPUs' pinning at creation; once
                 * they are re-pinned (xl vcpu-pin) to other nodes it is stale, and the
                 * memory should follow where the vCPUs can run. */
                if (i == 0 && m && hard && !(m & hard)) {
                        *rule = RULE_HARD_STALE;
                        return hard;
                }
                if (m) {
                        *rule = names[i];
                        return m;
                }
        }
        *rule = NULL;
        return 0;
}

nf_nodemask_t xen_home_cpumap_nodes(const uint8_t *cpumap, size_t bytes, const uint32_t *cpu_node,
                                    unsigned nr_cpus)
{
        nf_nodemask_t m = 0;

        for (unsigned c = 0; c < nr_cpus && c / 8 < bytes; c++)
                if ((cpumap[c / 8] >> (c % 8)) & 1u && cpu_node[c] < NF_MAX_NODES)
                        m |= NF_NODE_BIT(cpu_node[c]);
        return m;
}
