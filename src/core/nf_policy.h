/* Migration policy per guest: a pure decision function over samples and time. */
#ifndef NF_POLICY_H
#define NF_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nf_err.h"
#include "nf_keys.h"
#include "nf_placement.h"

enum nf_mode {
        NF_MODE_OFF,       /* not managed: not sampled, never migrated */
        NF_MODE_MONITOR,   /* observed and reported, never migrated */
        NF_MODE_PERIODIC,  /* every period, migrate remote pages down to target */
        NF_MODE_THRESHOLD, /* remote share above threshold: migrate down to target */
};

enum nf_phase {
        NF_PHASE_IDLE,
        NF_PHASE_ACTIVE,   /* a migration is in flight */
        NF_PHASE_COOLDOWN, /* a migration ended; no new trigger before cooldown */
};

enum nf_trigger {
        NF_TRIGGER_NONE,
        NF_TRIGGER_THRESHOLD,
        NF_TRIGGER_PERIODIC,
        NF_TRIGGER_MANUAL,
        NF_TRIGGER_COUNT,
};

struct nf_policy_params {
        enum nf_mode mode;
        uint64_t period_ns;   /* periodic epoch; > 0 */
        double threshold;     /* remote share that triggers, in [0, 1] */
        double target;        /* migrate until remote share <= target; target <= threshold */
        uint64_t cooldown_ns; /* quiet time after a migration ends (threshold mode) */
        uint64_t rate_limit;  /* bytes/s for this guest, 0 = unlimited (used by the mover) */
        uint64_t batch_pages; /* pages per batch, > 0 (used by the mover) */
        bool dry_run;         /* decide and report, never move */
};

struct nf_policy_state {
        enum nf_phase phase;
        enum nf_trigger trigger;              /* what started the current or last migration */
        uint64_t since_ns;                    /* when the current phase began */
        uint64_t next_period_ns;              /* periodic: next epoch boundary; 0 until anchored */
        uint64_t triggered[NF_TRIGGER_COUNT]; /* migrations started, by trigger */
};

enum nf_action {
        NF_ACTION_NONE,
        NF_ACTION_START,    /* begin a migration of `pages` pages */
        NF_ACTION_CONTINUE, /* keep going; `pages` still to move to reach target */
        NF_ACTION_STOP,     /* goal reached (or mode changed): end the migration */
};

struct nf_decision {
        enum nf_action action;
        enum nf_trigger trigger;
        uint64_t pages;
        bool dry_run;       /* START only: report, do not move */
        const char *reason; /* static text for logs and status */
};

/* The policy's keys, in this order in nf_policy_keys: one table drives parsing, the
 * layering of [defaults] and [vm NAME], the vm report and numaflipctl's display. */
enum nf_policy_field {
        NF_PF_MODE,
        NF_PF_PERIOD,
        NF_PF_THRESHOLD,
        NF_PF_TARGET,
        NF_PF_COOLDOWN,
        NF_PF_RATE_LIMIT,
        NF_PF_BATCH,
        NF_PF_DRY_RUN,
        NF_PF_COUNT,
};

/* Over struct nf_policy_params, bounds included. */
extern const struct nf_key nf_policy_keys[NF_PF_COUNT];

void nf_policy_init(struct nf_policy_state *st);

/* Fills in built-in defaults (threshold mode, 5% / 2%, ...). */
void nf_policy_defaults(struct nf_policy_params *p);

/* Checks a parameter set; 0, or -EINVAL with e naming the field at fault and the one it
 * contradicts (e may be NULL). */
int nf_policy_validate(const struct nf_policy_params *p, struct nf_check_error *e);

/*
 * The decision for one sample taken at now_ns. prev and next may alias.
 * Periodic mode anchors its epochs at the first call (first boundary one period
 * later); missed boundaries fire once and keep the alignment; cooldown does not
 * delay a periodic START. In dry-run a START goes straight to cooldown, since nothing
 * will move. While ACTIVE, a mode of off/monitor or dry_run turns into STOP.
 */
void nf_policy_decide(const struct nf_policy_params *p, const struct nf_policy_state *prev,
                      const struct nf_sample *s, uint64_t now_ns, struct nf_policy_state *next,
                      struct nf_decision *d);

/* The mover ended the active migration (done, abandoned or failed). */
void nf_policy_finished(const struct nf_policy_state *prev, uint64_t now_ns,
                        struct nf_policy_state *next);

/*
 * An operator asked to migrate now: START with NF_TRIGGER_MANUAL whatever the
 * threshold and cooldown. -EPERM in off/monitor mode, -EBUSY when already active,
 * -ENODATA when nothing is remote (next untouched in each case). A manual migration
 * aims at no remote pages at all (pages = remote_pages), not at the target share, and
 * its CONTINUE/STOP decisions follow that goal.
 */
int nf_policy_manual(const struct nf_policy_params *p, const struct nf_policy_state *prev,
                     const struct nf_sample *s, uint64_t now_ns, struct nf_policy_state *next,
                     struct nf_decision *d);

const char *nf_mode_name(enum nf_mode m);
int nf_mode_parse(const char *s, enum nf_mode *out); /* 0 or -EINVAL */
const char *nf_phase_name(enum nf_phase ph);
const char *nf_trigger_name(enum nf_trigger t);

#endif
