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
        /* migrate() may run on a thread of its own while the loop goes on calling every
         * other op but close (one migrate at a time): a slow host's batch then does not
         * hold up the control socket. Not shown in status: how, not what. */
        NF_CAP_MIGRATE_THREAD = 1u << 4,
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
        nf_nodemask_t home;     /* where the host says it belongs; 0 when it has no view */
        char home_rule[32];     /* which of the host's rules gave home ("vCPU affinity") */
        bool control;           /* the control domain itself: observed, never migrated */
        bool migratable;        /* false: monitor only, see why_not */
        char why_not[96];       /* why it cannot be migrated, for status */
};

/*
 * A node's flip pool. The counters are cumulative since the backend began counting and
 * never reset (a hypervisor counts from boot); the daemon takes differences.
 */
struct nf_pool_info {
        bool enabled;
        uint64_t target;     /* pages the pool should hold */
        uint64_t held;       /* pages in the pool now */
        uint64_t handed_out; /* pages given out from the pool */
        uint64_t hits;       /* flips into guests homed here that got a frame of this node */
        uint64_t misses;     /* flips into guests homed here that got a remote frame */
        uint64_t fallbacks;  /* pool empty or disabled: ordinary allocation used */
};

/* Where a migration's scan of a guest stands. The backend owns pos; the daemon keeps one
 * per plan, zeroes it when a plan starts and sets budget_ns before every call. */
struct nf_migrate_cursor {
        uint64_t pos[4];
        /* Wall time the call should take, 0 for no bound: a backend that works in steps
         * ends the call (with more) before a step that would overrun it. */
        uint64_t budget_ns;
};

/* Base pages in a 2 MiB huge page. A huge page moves whole, so one migrate call may move
 * up to NF_HUGE_PAGES - 1 pages beyond what it was asked for; the daemon counts those
 * and no more. */
#define NF_HUGE_PAGES 512u

/* What one migrate call did: also filled on error, for the work done before it. */
struct nf_migrate_result {
        uint64_t moved;   /* pages now on the target node (see NF_HUGE_PAGES) */
        uint64_t skipped; /* pages on the source nodes that cannot move (pinned, mapped by
                             another domain, special), seen and passed over */
        uint64_t failed;  /* pages that could move but did not this time (busy, raced) */
        bool more;        /* the scan did not reach the guest's end: call again */
        char why[96];     /* with -EOPNOTSUPP: why the guest cannot be migrated */
};

/* The daemon's notion of time, in nanoseconds; real, accelerated or virtual. */
struct nf_clock {
        uint64_t (*now_ns)(const struct nf_clock *clock);
        void *arg;
};

/* The clock a backend runs under: real time (times speed, 1 on real hosts), or virtual
 * time that moves only when told to (the sim's tests). */
enum nf_clock_kind {
        NF_CLOCK_REAL,
        NF_CLOCK_VIRTUAL,
};

struct nf_clock_spec {
        enum nf_clock_kind kind;
        double speed;
};

struct nf_check_error;
struct nf_key;

/* What the daemon hands a backend when it opens it. */
struct nf_backend_env {
        const struct nf_clock *clock;
        const void *conf; /* the backend's own config (conf_new/conf_key), or NULL */
};

struct nf_backend;

struct nf_backend_ops {
        const char *name;
        bool compiled_in;
        /* For "auto": whether this host is one the backend serves (a device exists, say).
         * Cheap and without side effects; 0, or -ENODEV with why. Optional: present means
         * always. */
        int (*probe)(char *why, size_t whylen);
        /* Fills *out; on failure writes a one-line reason to err. */
        int (*open)(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                    size_t errlen);
        void (*close)(struct nf_backend *be);
        unsigned (*caps)(const struct nf_backend *be);
        int (*topology)(struct nf_backend *be, struct nf_topology *topo);
        /* Writes up to cap guests to buf and their total count to *n. */
        int (*list_guests)(struct nf_backend *be, struct nf_guest_info *buf, size_t cap, size_t *n);
        /* pages[i] = pages of guest id on node i, for i < topology nr_nodes. -ESRCH: gone;
         * -EAGAIN: not observed yet (a host that learns placement slowly). */
        int (*guest_pages)(struct nf_backend *be, uint32_t id, uint64_t *pages, unsigned nr_nodes);
        /*
         * Moves up to max pages of guest id that lie on nodes in from to node to, going on
         * with the scan at *cursor (zero: from the start). A call may move fewer than max
         * and still set more: it looks at a bounded part of the guest each time. When the
         * scan reaches the guest's end, more is false and the cursor starts over. res is
         * filled on error too. -ESRCH: the guest is gone; -ENOMEM: node to is full;
         * -EOPNOTSUPP: this guest can never be migrated (res->why says why).
         */
        int (*migrate)(struct nf_backend *be, uint32_t id, nf_nodemask_t from, unsigned to,
                       uint64_t max, struct nf_migrate_cursor *cursor,
                       struct nf_migrate_result *res);
        int (*pool_get)(struct nf_backend *be, unsigned node, struct nf_pool_info *info);
        /* Sets the pool's target and reserves or releases pages toward it now. */
        int (*pool_set)(struct nf_backend *be, unsigned node, uint64_t target);
        /* Lets the pool hand out and refill pages, or not (it keeps what it holds). */
        int (*pool_enable)(struct nf_backend *be, unsigned node, bool enable);
        /* Marks a guest whose freed pages refill the pools (a flip receiver); optional. */
        int (*set_receiver)(struct nf_backend *be, uint32_t id, bool receiver);
        /* Readable when guests may have come or gone; -1 when the backend has none. The
         * daemon watches it when caps() has NF_CAP_WATCH, and then calls watch_ack and
         * lists the guests again. */
        int (*watch_fd)(struct nf_backend *be);
        /* Consumes what made watch_fd readable (a xenstore watch event, say); optional. */
        int (*watch_ack)(struct nf_backend *be);
        /* After a listing: in how many ns of daemon time the backend wants to be listed
         * again because guests it saw were still settling (a domain still being built,
         * which no watch will announce once done); 0 for no need. Optional. */
        uint64_t (*relist_after)(struct nf_backend *be);
        /* Applies a reloaded config of the backend's own (optional): 0, or -errno with err
         * when the running backend cannot take it (it then keeps the old one). */
        int (*reload)(struct nf_backend *be, const void *conf, char *err, size_t errlen);
        /* One line on how observation works (e.g. "debug-key dump, observe only"). */
        const char *(*describe)(const struct nf_backend *be);

        /*
         * The backend's own configuration, optional: the sections [NAME] and
         * [NAME.SUB ARG] of its name (the sim's [sim] and [sim.vm web1]), and keys of
         * the daemon's [vm ARG] sections that the daemon does not know. conf_sections
         * lists them for messages ("sim, sim.vm NAME").
         */
        const char *conf_sections;
        void *(*conf_new)(void); /* the built-in defaults; NULL when out of memory */
        void (*conf_free)(void *conf);
        /* One key. kind is the section's first word: NULL for [NAME], "NAME.SUB" for
         * [NAME.SUB ARG], "vm" for the daemon's [vm ARG]; arg is ARG or NULL. 0;
         * -ENOENT when the key is not one of the backend's; -EINVAL with err. */
        int (*conf_key)(void *conf, const char *kind, const char *arg, const char *key,
                        const char *value, char *err, size_t errlen);
        /* Once the whole file is read: how the keys fit together; 0 or -EINVAL with e (its
         * sections as written in the file, "sim" or "sim.vm web1"). */
        int (*conf_check)(void *conf, struct nf_check_error *e);
        /* The clock the daemon must run under with this config (NULL when the backend
         * has none of its own); absent: real time. */
        void (*conf_clock)(const void *conf, struct nf_clock_spec *spec);
        /* The keys conf_key takes in sections of kind (as for conf_key), so the
         * documentation can be checked against them; *n = 0 for none. Optional. */
        const struct nf_key *(*conf_keys)(const char *kind, size_t *n);
};

/* Every backend starts with this, so the daemon can reach its ops. */
struct nf_backend {
        const struct nf_backend_ops *ops;
};

extern const struct nf_backend_ops nf_backend_sim_ops;
extern const struct nf_backend_ops nf_backend_xen_ops;
extern const struct nf_backend_ops nf_backend_linux_ops;

/* Every backend the daemon knows, compiled in or not. */
const struct nf_backend_ops *const *nf_backends(size_t *n);

/* Looks a backend up by name; NULL when unknown. Compiled-out backends are found too:
 * their compiled_in is false and their open says why. "auto" is not a backend: see
 * nf_backend_choose. */
const struct nf_backend_ops *nf_backend_find(const char *name);

/* The backend a config's name stands for: itself, or for "auto" the first compiled-in
 * real backend (xen, then linux; never sim) whose probe accepts this host. NULL with a
 * reason in err; for "auto" err says what each backend said, on success too
 * ("auto: xen: not compiled in; linux: chosen"). */
const struct nf_backend_ops *nf_backend_choose(const char *name, char *err, size_t errlen);

/* The clock ops runs under with conf. */
void nf_backend_clock(const struct nf_backend_ops *ops, const void *conf,
                      struct nf_clock_spec *spec);

#endif
