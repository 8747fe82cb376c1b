/* One job at a time off the loop: a thread runs it, the loop gets it back when it is done. */
#include "nf_worker.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct nf_worker {
        struct event *ev; /* the read end: readable when the job is done */
        int fd[2];
        pthread_t thread;
        bool busy;
        nf_work_fn fn, done;
        void *arg;
};

static void *worker_main(void *p)
{
        struct nf_worker *w = p;
        char c = 1;

        w->fn(w->arg);
        /* A full pipe cannot happen (one byte per job); EINTR can. */
        while (write(w->fd[1], &c, 1) < 0 && errno == EINTR)
                ;
        return NULL;
}

/* The thread has ended or is about to: joins it, then hands the job back. */
static void finish(struct nf_worker *w)
{
        char c;

        pthread_join(w->thread, NULL);
        while (read(w->fd[0], &c, 1) > 0)
                ;
        w->busy = false;
        w->done(w->arg);
}

static void ready_cb(evutil_socket_t fd, short what, void *arg)
{
        (void)fd;
        (void)what;
        struct nf_worker *w = arg;
        char c;

        if (w->busy)
                finish(w);
        else /* already waited for, in this same turn of the loop */
                while (read(w->fd[0], &c, 1) > 0)
                        ;
}

int nf_worker_new(struct event_base *base, struct nf_worker **out)
{
        struct nf_worker *w = calloc(1, sizeof(*w));

        if (!w)
                return -ENOMEM;
        if (pipe2(w->fd, O_CLOEXEC | O_NONBLOCK) < 0) {
                int rc = -errno;
                free(w);
                return rc;
        }
        w->ev = event_new(base, w->fd[0], EV_READ | EV_PERSIST, ready_cb, w);
        if (!w->ev || event_add(w->ev, NULL) < 0) {
                if (w->ev)
                        event_free(w->ev);
                close(w->fd[0]);
                close(w->fd[1]);
                free(w);
                return -ENOMEM;
        }
        *out = w;
        return 0;
}

void nf_worker_free(struct nf_worker *w)
{
        if (!w)
                return;
        nf_worker_wait(w);
        event_free(w->ev);
        close(w->fd[0]);
        close(w->fd[1]);
        free(w);
}

int nf_worker_submit(struct nf_worker *w, nf_work_fn fn, nf_work_fn done, void *arg)
{
        sigset_t all, old;
        int rc;

        if (w->busy)
                return -EBUSY;
        w->fn = fn;
        w->done = done;
        w->arg = arg;
        /* Signals stay the loop's: the job's thread starts with every one blocked. */
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        rc = pthread_create(&w->thread, NULL, worker_main, w);
        pthread_sigmask(SIG_SETMASK, &old, NULL);
        if (rc)
                return -rc;
        w->busy = true;
        return 0;
}

bool nf_worker_busy(const struct nf_worker *w)
{
        return w && w->busy;
}

void nf_worker_wait(struct nf_worker *w)
{
        if (w && w->busy)
                finish(w);
}
