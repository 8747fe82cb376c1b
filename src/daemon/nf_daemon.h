/* numaflipd's state: guests, their policy state and counters, and the periodic work. */
#ifndef NF_DAEMON_H
#define NF_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "numaflip/backend.h"
#include "nf_config.h"
#include "nf_err.h"
#include "nf_history.h"
#include "nf_mover.h"
#include "nf_placement.h"
#include "nf_policy.h"
#include "nf_rate.h"
#include "nf_sched.h"

struct nf_control;

struct nf_guest_counters {
        uint64_t pages_tried;
        uint64_t pages_moved;
        uint64_t pages_skipped; /* passed over by the backend as unmovable */
        uint64_t pages_failed;  /* the backend could not move them when asked */
        uint64_t batches;
        uint64_t migrations[NF_TRIGGER_COUNT]; /* plans started, by trigger */
        uint64_t completed;                    /* plans that reached their goal */
        uint64_t abandoned;                    /* plans cut short (error, pause, exit) */
        uint64_t dry_runs;                     /* migrations decided but not done */
        uint64_t last_migration_ns;            /* end of the last plan; 0 = never */
        double last_end_share;                 /* remote share measured as it ended */
        char last_end[128];                    /* why the last plan ended */
        uint64_t last_batch_real_ns;           /* wall time the last batch took */
        uint64_t max_batch_real_ns;
};

struct nf_guest {
        struct nf_guest_info info; /* as the backend last reported it, never written else */
        uint64_t first_seen_ns;
        uint64_t seq; /* tells it from a later guest given the same id (pid or domid reuse) */
        uint64_t pages[NF_MAX_NODES];
        bool sampled;
        uint64_t sampled_ns;
        struct nf_sample sample;
        double max_share;
        nf_nodemask_t home;       /* resolved: config, backend, or first majority node */
        const char *home_rule;    /* which of those (static text) */
        nf_nodemask_t first_home; /* the node holding most of it when first sampled */
        /* The backend refused to migrate it (-EOPNOTSUPP): kept here, since the next
         * listing overwrites info, so it is neither retried nor logged again. */
        bool refused;
        char refused_why[96];
        bool receiver; /* marked as a flip receiver in the backend */
        struct nf_policy_params params;
        struct nf_policy_sources sources;
        struct nf_policy_state pst;
        struct nf_decision last;
        bool paused;
        struct nf_plan plan;
        struct nf_rate rate;
        struct nf_guest_counters n;
        struct nf_history history; /* remote share and pages per node, each poll */
        char last_error[128];
};

struct nf_pool_state {
        bool managed; /* the daemon sizes this node's pool */
        uint64_t size;
        uint64_t resizes;
        struct nf_pool_info last; /* the backend's counters at the last sizing */
        /* Differences of the cumulative counters over the last sizing interval. */
        bool have_interval;
        uint64_t handed_out, hits, misses, fallbacks;
};

struct nf_daemon {
        struct event_base *base;
        struct nf_sched *sched;
        struct nf_config *cfg;
        char config_path[PATH_MAX];
        struct nf_backend *be;
        unsigned caps;
        struct nf_topology topo;
        struct nf_guest *guests;
        size_t nr_guests, cap_guests;
        struct nf_pool_state pool[NF_MAX_NODES];
        struct nf_mover mover;
        struct nf_timer *poll_timer;
        struct nf_timer *pool_timer;
        struct nf_timer *relist_timer; /* the backend asked to be listed again soon */
        struct event *watch_ev;        /* the backend's watch fd, when it has one */
        uint64_t watch_events;
        /* Over every guest since start: a guest that goes takes its own counters along. */
        struct {
                uint64_t pages_moved, pages_skipped, pages_failed;
                uint64_t completed, abandoned, vanished;
        } totals;
        struct nf_control *control;
        uint64_t started_ns;
        uint64_t polls;
        uint64_t guests_seen;       /* guests ever seen: the last one's seq */
        uint64_t last_poll_real_ns; /* wall time the last poll took */
        bool metrics_failing;       /* the last metrics_file write failed (logged once) */
        uint64_t reloads;
        uint64_t reload_failures;
        char last_reload_error[NF_ERR_MAX];
        char backend_choice[512]; /* for "auto": what each backend said */
        bool stopping;
        /* Bumped on every change status shows, so its reply can be kept between them. */
        uint64_t generation;
        /* The real clock status_cache ages on (monotonic; nf_daemon_set_wall fakes it). */
        const struct nf_clock *wall;
        struct {
                char *text; /* the status result, serialised */
                size_t len;
                uint64_t generation;
                uint64_t built_ns; /* on wall: its times go stale too */
        } status_cache;
};

/* Opens the backend, takes the first sample, arms the timers. err gets one line. */
int nf_daemon_init(struct nf_daemon *d, struct event_base *base, struct nf_config *cfg,
                   const char *config_path, char *err, size_t errlen);
/* The same with the backend given by its ops rather than by cfg's name. */
int nf_daemon_init_ops(struct nf_daemon *d, struct event_base *base, struct nf_config *cfg,
                       const char *config_path, const struct nf_backend_ops *ops, char *err,
                       size_t errlen);
/* Abandons migrations in flight (counting partial progress) and frees everything. */
void nf_daemon_fini(struct nf_daemon *d);

/* One poll: refresh guests and samples, run policies. */
void nf_daemon_poll(struct nf_daemon *d);

/* Re-reads the config file; swaps it in only when valid. 0, or -errno with err filled. */
int nf_daemon_reload(struct nf_daemon *d, char *err, size_t errlen);

struct nf_guest *nf_daemon_guest(struct nf_daemon *d, const char *name);

/* Reads a guest's placement now into g->sample. -ESRCH when it vanished. */
int nf_daemon_sample(struct nf_daemon *d, struct nf_guest *g);

/* Operator actions; 0 or -errno with a reason in err. */
int nf_daemon_migrate_now(struct nf_daemon *d, struct nf_guest *g, char *err, size_t errlen);
int nf_daemon_pause(struct nf_daemon *d, struct nf_guest *g, bool pause);

/* Something status shows changed (a poll, a batch, an operator's action). */
static inline void nf_daemon_changed(struct nf_daemon *d)
{
        d->generation++;
}

/* Ages the status cache on another clock (tests give a fake one); NULL: monotonic again.
 * The mover's batches keep their own (nf_mover_set_wall). */
void nf_daemon_set_wall(struct nf_daemon *d, const struct nf_clock *wall);

/* Marks the daemon as stopping: no new batch starts. */
void nf_daemon_stop(struct nf_daemon *d);

/* Why a guest is not migrated automatically, or NULL when it is. */
const char *nf_guest_blocker(const struct nf_daemon *d, const struct nf_guest *g);

/* idle, migrating, cooldown, paused, monitor, off, unmigratable, control */
const char *nf_guest_state(const struct nf_daemon *d, const struct nf_guest *g);

uint64_t nf_daemon_now(const struct nf_daemon *d);

#endif
