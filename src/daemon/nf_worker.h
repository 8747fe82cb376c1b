/* One job at a time off the loop: a thread runs it, the loop gets it back when it is done. */
#ifndef NF_WORKER_H
#define NF_WORKER_H

#include <stdbool.h>

#include <event2/event.h>

struct nf_worker;

/* fn runs on the job's own thread; done runs on the loop once fn has returned. */
typedef void (*nf_work_fn)(void *arg);

/* A worker whose completions the loop base dispatches. 0 or -errno. */
int nf_worker_new(struct event_base *base, struct nf_worker **out);
/* Waits for a job in flight (its done runs), then frees. */
void nf_worker_free(struct nf_worker *w);

/* Starts fn(arg) on a thread; done(arg) follows on the loop. -EBUSY while a job is in
 * flight; other -errno when no thread could be started (nothing runs then). */
int nf_worker_submit(struct nf_worker *w, nf_work_fn fn, nf_work_fn done, void *arg);
bool nf_worker_busy(const struct nf_worker *w);
/* Blocks until the job in flight is done and runs its done here; nothing when idle. */
void nf_worker_wait(struct nf_worker *w);

#endif
