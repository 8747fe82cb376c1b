/* Backend registry: finds backends by name, picks one for "auto", stands in for compiled-out ones.
 */
#include "numaflip/backend.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "nf_err.h"

/*
 * A backend left out of the build still has an entry, so "backend = xen" fails with a
 * reason instead of "unknown backend". A real backend_xen.c / backend_linux.c, built
 * when CMake defines NF_HAVE_XEN / NF_HAVE_LINUX, replaces the stub.
 */
#ifndef NF_HAVE_XEN
static int xen_open(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                    size_t errlen)
{
        (void)env;
        *out = NULL;
        return nf_err(-ENOTSUP, err, errlen,
                      "backend 'xen' is not compiled in (configure with -DNF_WITH_XEN=ON)");
}

const struct nf_backend_ops nf_backend_xen_ops = {
    .name = "xen",
    .compiled_in = false,
    .open = xen_open,
};
#endif

#ifndef NF_HAVE_LINUX
static int linux_open(const struct nf_backend_env *env, struct nf_backend **out, char *err,
                      size_t errlen)
{
        (void)env;
        *out = NULL;
        return nf_err(-ENOTSUP, err, errlen,
                      "backend 'linux' is not compiled in (configure with -DNF_WITH_LINUX=ON)");
}

const struct nf_backend_ops nf_backend_linux_ops = {
    .name = "linux",
    .compiled_in = false,
    .open = linux_open,
};
#endif

/* Every backend a config may name. */
static const struct nf_backend_ops *const backends[] = {
    &nf_backend_xen_ops,
    &nf_backend_linux_ops,
    &nf_backend_sim_ops,
};

#define NR_BACKENDS (sizeof(backends) / sizeof(backends[0]))

/*
 * What "auto" tries, in order: the hypervisor first (a Xen dom0 is a Linux host too),
 * then the kernel. Never the model: a host config must not run a simulation because
 * its real backend is missing; the sim runs only when named.
 */
static const struct nf_backend_ops *const auto_order[] = {
    &nf_backend_xen_ops,
    &nf_backend_linux_ops,
};

#define NR_AUTO (sizeof(auto_order) / sizeof(auto_order[0]))

const struct nf_backend_ops *const *nf_backends(size_t *n)
{
        *n = NR_BACKENDS;
        return backends;
}

const struct nf_backend_ops *nf_backend_find(const char *name)
{
        for (size_t i = 0; name && i < NR_BACKENDS; i++)
                if (strcmp(name, backends[i]->name) == 0)
                        return backends[i];
        return NULL;
}

/* Appends to a message buffer, truncating quietly. */
static void append(char *buf, size_t len, const char *s)
{
        size_t used = strnlen(buf, len);

        if (used + 1 < len)
                snprintf(buf + used, len - used, "%s", s);
}

const struct nf_backend_ops *nf_backend_choose(const char *name, char *err, size_t errlen)
{
        char trail[512] = "";
        char why[256];

        if (err && errlen)
                err[0] = '\0';
        if (!name || strcmp(name, "auto") != 0) {
                const struct nf_backend_ops *ops = nf_backend_find(name);

                if (!ops)
                        nf_err(0, err, errlen,
                               "unknown backend '%s' (known: auto, xen, linux, sim)",
                               name ? name : "");
                return ops;
        }
        for (size_t i = 0; i < NR_AUTO; i++) {
                const struct nf_backend_ops *ops = auto_order[i];

                if (trail[0])
                        append(trail, sizeof(trail), "; ");
                append(trail, sizeof(trail), ops->name);
                if (!ops->compiled_in) {
                        append(trail, sizeof(trail), ": not compiled in");
                        continue;
                }
                why[0] = '\0';
                if (!ops->probe || ops->probe(why, sizeof(why)) == 0) {
                        /* Success still says what was passed over, for the log. */
                        nf_err(0, err, errlen, "auto: %s: chosen", trail);
                        return ops;
                }
                append(trail, sizeof(trail), ": ");
                append(trail, sizeof(trail), why[0] ? why : "not this host");
        }
        nf_err(0, err, errlen,
               "auto: no backend serves this host (%s); the simulator runs only as backend = sim",
               trail);
        return NULL;
}

void nf_backend_clock(const struct nf_backend_ops *ops, const void *conf,
                      struct nf_clock_spec *spec)
{
        spec->kind = NF_CLOCK_REAL;
        spec->speed = 1.0;
        if (ops && ops->conf_clock)
                ops->conf_clock(conf, spec);
}
