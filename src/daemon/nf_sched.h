/* Timers in daemon time: real, accelerated (sim speed) or virtual (advanced on request). */
#ifndef NF_SCHED_H
#define NF_SCHED_H

#include <stdbool.h>
#include <stdint.h>

#include <event2/event.h>

#include "numaflip/backend.h"

enum nf_sched_mode {
        NF_SCHED_REAL,    /* daemon time = monotonic time since start, times speed */
        NF_SCHED_VIRTUAL, /* daemon time moves only in nf_sched_advance */
};

struct nf_sched;
struct nf_timer;

/* CLOCK_MONOTONIC in nanoseconds: the one real clock the daemon reads. */
uint64_t nf_clock_monotonic(void);
/* The same as an nf_clock, the default for the hooks tests replace with a fake. */
extern const struct nf_clock nf_monotonic_clock;

typedef void (*nf_timer_cb)(struct nf_timer *t, void *arg);

/* speed is daemon seconds per wall second (1 for real operation); ignored when virtual. */
struct nf_sched *nf_sched_new(struct event_base *base, enum nf_sched_mode mode, double speed);
void nf_sched_free(struct nf_sched *s);

enum nf_sched_mode nf_sched_mode(const struct nf_sched *s);
double nf_sched_speed(const struct nf_sched *s);
uint64_t nf_sched_now(const struct nf_sched *s);

/* The clock backends read (valid as long as the scheduler). */
const struct nf_clock *nf_sched_clock(const struct nf_sched *s);

struct nf_timer *nf_timer_new(struct nf_sched *s, nf_timer_cb cb, void *arg);
void nf_timer_free(struct nf_timer *t);
/* (Re)arms the timer delay_ns of daemon time from now; 0 runs it on the next turn. */
void nf_timer_arm(struct nf_timer *t, uint64_t delay_ns);
void nf_timer_cancel(struct nf_timer *t);
bool nf_timer_pending(const struct nf_timer *t);
/* Daemon time the timer fires at; only meaningful when pending. */
uint64_t nf_timer_deadline(const struct nf_timer *t);

/*
 * Virtual mode: moves time forward by by_ns, firing every timer that falls due, in
 * deadline order, at its own deadline. -EINVAL in real mode; -ELOOP if timers kept
 * re-arming at the same instant past a sane bound (a bug, reported, not a hang).
 */
int nf_sched_advance(struct nf_sched *s, uint64_t by_ns);

#endif
