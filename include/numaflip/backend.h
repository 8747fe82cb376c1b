/* numaflip backend interface: the mechanisms (observe, migrate, flip pools) a host offers. */
#ifndef NUMAFLIP_BACKEND_H
#define NUMAFLIP_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NF_MAX_NODES 64
#define NF_NAME_MAX 64
#define NF_UUID_LEN 37 /* 36 characters and a NUL */
#define NF_PAGE_SIZE 4096u

/* A set of NUMA nodes, bit i for node i. */
typedef uint64_t nf_nodemask_t;

#define NF_NODE_BIT(n) ((nf_nodemask_t)1 << (n))

/* What a backend can do; status reports the missing ones by name. */
enum nf_backend_cap {
        NF_CAP_OBSERVE = 1u << 0, /* per-node page counts of a guest */
        NF_CAP_MIGRATE = 1u << 1, /* move a guest's pages between nodes */
        NF_CAP_POOL = 1u << 2,    /* flip pools per node */
        NF_CAP_WATCH = 1u << 3,   /* an fd that becomes readable when guests come and go */
};

struct nf_node_info {
        uint64_t total_pages;
        uint64_t free_pages;
};

struct nf_topology {
        unsigned nr_nodes;
        struct nf_node_info node[NF_MAX_NODES];
        uint8_t distance[NF_MAX_NODES][NF_MAX_NODES]; /* ACPI SLIT style, 10 = local */
};

struct nf_guest_info {
        uint32_t id; /* domid, pid or sim index: stable while the guest lives */
        char name[NF_NAME_MAX];
        char uuid[NF_UUID_LEN]; /* empty when the backend has none */
        uint64_t memory_pages;  /* current size */
        nf_nodemask_t home;     /* nodes its vCPUs run on; 0 when unknown */
        bool control;           /* the control domain itself: observed, never migrated */
        bool migratable;        /* false: monitor only, see why_not */
        char why_not[96];       /* why it cannot be migrated, for status */
};

struct nf_pool_info {
        bool enabled;
        uint64_t target;    /* pages the pool should hold */
        uint64_t held;      /* pages in the pool now */
        uint64_t handed;    /* pages given out in the current sizing interval (peak) */
        uint64_t hits;      /* flips served from this pool */
        uint64_t misses;    /* flips that wanted this pool and got a remote frame */
        uint64_t fallbacks; /* pool empty: ordinary allocation used */
};

/* The daemon's notion of time, in nanoseconds; real, accelerated or virtual. */
struct nf_clock {
        uint64_t (*now_ns)(const struct nf_clock *clock);
        void *arg;
};

struct nf_sim_config;

/* What the daemon hands a backend when it opens it. */
struct nf_backend_env {
        const struct nf_clock *clock;
        const struct nf_sim_config *sim; /* [sim] sections; only the sim backend reads it */
};

struct nf_backend;

struct nf_backend_ops {
        const char *name;
        bool compiled_in;
        /* Fills *out; on failure writes a one-line reason to err. */
        int (*open)(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                    size_t errlen);
        void (*close)(struct nf_backend *be);
        unsigned (*caps)(const struct nf_backend *be);
        int (*topology)(struct nf_backend *be, struct nf_topology *topo);
        /* Writes up to cap guests to buf and their total count to *n. */
        int (*list_guests)(struct nf_backend *be, struct nf_guest_info *buf, size_t cap, size_t *n);
        /* pages[i] = pages of guest id on node i, for i < topology nr_nodes. -ESRCH: gone. */
        int (*guest_pages)(struct nf_backend *be, uint32_t id, uint64_t *pages, unsigned nr_nodes);
        /* Move up to max pages of guest id that lie on nodes in from to node to.
         * *moved says how many moved, also on error (partial progress). */
        int (*migrate)(struct nf_backend *be, uint32_t id, nf_nodemask_t from, unsigned to,
                       uint64_t max, uint64_t *moved);
        int (*pool_get)(struct nf_backend *be, unsigned node, struct nf_pool_info *info);
        int (*pool_set)(struct nf_backend *be, unsigned node, uint64_t target);
        /* Readable when guests may have come or gone; -1 when the backend has none. The
         * daemon watches it when caps() has NF_CAP_WATCH, and then calls watch_ack and
         * lists the guests again. */
        int (*watch_fd)(struct nf_backend *be);
        /* Consumes what made watch_fd readable (a xenstore watch event, say); optional. */
        int (*watch_ack)(struct nf_backend *be);
        /* Apply backend-specific parts of a reloaded config (optional). */
        int (*reload)(struct nf_backend *be, const struct nf_backend_env *env, char *err,
                      size_t errlen);
        /* One line on how observation works (e.g. "debug-key dump, observe only"). */
        const char *(*describe)(const struct nf_backend *be);
};

/* Every backend starts with this, so the daemon can reach its ops. */
struct nf_backend {
        const struct nf_backend_ops *ops;
};

extern const struct nf_backend_ops nf_backend_sim_ops;
extern const struct nf_backend_ops nf_backend_xen_ops;
extern const struct nf_backend_ops nf_backend_linux_ops;

/* Looks a backend up by name ("auto" gives the first compiled-in one of xen, linux, sim;
 * only opening tells whether it works). NULL when unknown. Compiled-out backends are
 * found too: their compiled_in is false and their open says why. */
const struct nf_backend_ops *nf_backend_find(const char *name);

/* Opens the named backend; for "auto" tries xen, linux, then sim, skipping those not
 * compiled in or failing to open. For "auto" err also says on success what was tried
 * ("auto: xen: not compiled in; linux: ...; sim: opened"); otherwise it is empty then. */
int nf_backend_open(const char *name, const struct nf_backend_env *env, struct nf_backend **out,
                    char *err, size_t errlen);

#endif
