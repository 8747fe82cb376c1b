/* The sim model: an in-process NUMA host whose guests' memory drifts under flipping. */
#ifndef NF_SIM_H
#define NF_SIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "numaflip/backend.h"
#include "nf_err.h"

/* A VM's home when none is given: node 1, away from the CVM, if the host has it, else 0. */
#define NF_SIM_HOME_AUTO UINT32_MAX

struct nf_sim_vm_config {
        char name[NF_NAME_MAX];
        uint64_t memory_pages;
        unsigned home;    /* node its memory is created on and its vCPUs run on, or AUTO */
        double flip_rate; /* flips per second */
        bool migratable;  /* false models a PV guest: observed only */
};

struct nf_sim_config {
        uint64_t seed;
        unsigned nr_nodes;
        uint64_t node_pages; /* pages per node (all nodes alike) */
        unsigned cvm_node;   /* node of the control domain's memory */
        uint64_t cvm_pages;  /* control domain memory */
        uint64_t step_ns;    /* workload step: flips of one step come as one burst */
        enum nf_clock_kind clock;
        double speed;             /* REAL clock: simulated seconds per wall second */
        uint64_t migrate_cost_ns; /* wall time the backend spends per page migrated */
        size_t nr_vms, cap_vms;
        struct nf_sim_vm_config *vm; /* nr_vms of them, malloc'd */
};

struct nf_sim;

/* Built-in defaults: 2 nodes of 8 GiB, CVM 2 GiB on node 0, 100 ms steps, no VMs. Any
 * VMs c had are freed first, so c must be zeroed or initialised before. */
void nf_sim_config_defaults(struct nf_sim_config *c);
/* Frees the VMs; c can be given defaults again. */
void nf_sim_config_clear(struct nf_sim_config *c);
/* A new VM with defaults (1 GiB, home AUTO, no flips, migratable): NULL when out of
 * memory. Pointers into c->vm are good until the next add. */
struct nf_sim_vm_config *nf_sim_config_add_vm(struct nf_sim_config *c, const char *name);
/* Deep copy of src into dst (initialised or zeroed): 0 or -ENOMEM. */
int nf_sim_config_copy(struct nf_sim_config *dst, const struct nf_sim_config *src);

/* 0 or -EINVAL with e: section "sim" or "sim.vm NAME", the key at fault and the one it
 * contradicts ("memory" of a VM against "node_size" of [sim]). */
int nf_sim_config_validate(const struct nf_sim_config *c, struct nf_check_error *e);

/* A host at time now_ns: CVM memory on its node, each VM's memory on its home node. */
int nf_sim_new(const struct nf_sim_config *c, uint64_t now_ns, struct nf_sim **out, char *err,
               size_t errlen);
void nf_sim_free(struct nf_sim *s);

/*
 * Runs the workload up to now_ns in whole steps. Each step, every VM flips
 * rate*step packets (fractions carry over): each flip takes a packet frame from
 * the flip pool of the VM's home node when it is enabled and holds one (handed
 * out), else from the CVM node's free memory (a fallback when that pool is
 * enabled), and the VM gives back one of its frames picked at random (by node,
 * weighted by its pages there); a frame given back by a flip receiver refills the
 * pool of its node when that pool is enabled and below its target, else it goes
 * back to that node's free memory. All of a step's packet frames are taken before
 * its returns come back, so a burst can empty a pool. When the CVM node has no
 * free page, the frame comes from the next node that has one (node order,
 * wrapping); when no node has one the packet is dropped. Each flip counts on the
 * home node's pool, enabled or not, as a hit when the frame is on the home node
 * and as a miss otherwise.
 */
void nf_sim_advance(struct nf_sim *s, uint64_t now_ns);

/* Adds VMs that are new in c, removes those gone, updates rates and migratability of
 * the others (matched by name). Host shape (nodes, sizes, CVM) cannot change: -EINVAL.
 * A removed VM's pages go back to free memory. A new VM's memory goes on its home node,
 * the rest on the next nodes when home is short (-ENOMEM if the host is). A changed
 * home re-pins the VM (its memory stays put); a changed memory_pages is -EINVAL.
 * step_ns applies from the next step; seed, clock and speed are ignored. On error
 * nothing changes and err names the field. Kept VMs keep their receiver marks. */
int nf_sim_reconfigure(struct nf_sim *s, const struct nf_sim_config *c, char *err, size_t errlen);

void nf_sim_topology(const struct nf_sim *s, struct nf_topology *t);

/* The CVM is id 0 ("Domain-0", control); VMs get ids from 1 in order of creation,
 * never reused. Returns the number of guests, writes up to cap of them. */
size_t nf_sim_guests(const struct nf_sim *s, struct nf_guest_info *buf, size_t cap);

/* Id 0 is the CVM. -ESRCH for an unknown id; -EINVAL when nr_nodes is below the
 * host's; entries past the host's nodes are zeroed. */
int nf_sim_guest_pages(const struct nf_sim *s, uint32_t id, uint64_t *pages, unsigned nr_nodes);

/*
 * Moves up to max pages of VM id from the nodes in from to node to, limited by
 * to's free memory; pages are taken from the from-nodes in node order. to itself
 * and bits of from beyond the host's nodes are ignored (so ~home works). res->more
 * says whether pages remain on the from-nodes (the model has no addresses: its scan
 * is over once nothing is left to move). -ESRCH unknown, -EPERM CVM, -EOPNOTSUPP
 * unmigratable (res->why), -EINVAL bad to node, -ENOMEM when to has no free page and
 * something remained to move.
 */
int nf_sim_migrate(struct nf_sim *s, uint32_t id, nf_nodemask_t from, unsigned to, uint64_t max,
                   struct nf_migrate_result *res);

/* Pool of a node, as a hypervisor keeps it: handed_out, hits, misses and fallbacks count
 * from the model's start and never reset. A target beyond the node's size, or a bad
 * node, is -EINVAL. Setting a target takes free pages of the node now (as many as there
 * are) or frees the excess now, enabled or not. A disabled pool neither hands out nor
 * refills, and keeps what it holds; pools start disabled with target 0. */
int nf_sim_pool_get(const struct nf_sim *s, unsigned node, struct nf_pool_info *info);
int nf_sim_pool_set(struct nf_sim *s, unsigned node, uint64_t target);
int nf_sim_pool_enable(struct nf_sim *s, unsigned node, bool enable);

/* Marks VM id as a flip receiver: the frames it gives back refill the pools. VMs start
 * unmarked. -ESRCH unknown, -EPERM CVM. */
int nf_sim_set_receiver(struct nf_sim *s, uint32_t id, bool receiver);

struct nf_sim_stats {
        uint64_t now_ns; /* model time reached */
        uint64_t steps;
        uint64_t flips;   /* flips completed */
        uint64_t dropped; /* packets lost: no free frame anywhere on the host */
};
void nf_sim_stats(const struct nf_sim *s, struct nf_sim_stats *st);

/* Checks conservation (every node's pages are free, pooled, CVM's or a VM's, exactly)
 * and bounds; 0 or -EFAULT with the first violation described. */
int nf_sim_check(const struct nf_sim *s, char *err, size_t errlen);

#endif
