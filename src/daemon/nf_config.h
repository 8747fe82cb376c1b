/* numaflipd configuration: INI file (inih) into a validated, immutable struct. */
#ifndef NF_CONFIG_H
#define NF_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "numaflip/backend.h"
#include "nf_log.h"
#include "nf_policy.h"
#include "nf_poolsize.h"

#define NF_DEFAULT_CONFIG "/etc/numaflip/numaflipd.conf"
#define NF_CONFIG_MAX_BACKENDS 8

/* Policy values set in one section, and the line each came from. */
struct nf_policy_layer {
        unsigned set; /* bit per enum nf_policy_field */
        unsigned line[NF_PF_COUNT];
        struct nf_policy_params v;
};

struct nf_vm_config {
        char name[NF_NAME_MAX];
        unsigned line; /* of the section header */
        struct nf_policy_layer policy;
        nf_nodemask_t home; /* 0: from the backend */
};

/* Where a resolved policy value came from. */
enum nf_source_kind {
        NF_SOURCE_BUILTIN,
        NF_SOURCE_DEFAULTS,
        NF_SOURCE_VM,
};

struct nf_policy_sources {
        enum nf_source_kind kind[NF_PF_COUNT];
        unsigned line[NF_PF_COUNT];
};

struct nf_config_origins;

struct nf_config {
        char path[PATH_MAX];
        /* [daemon] */
        char backend[16];
        char socket_path[108];
        char socket_group[64]; /* empty: the daemon's own group */
        mode_t socket_mode;
        uint64_t poll_ns;
        enum nf_log_level log_level;
        uint64_t global_rate_limit;  /* bytes/s over all guests, 0 = unlimited */
        uint64_t batch_time_ns;      /* wall time one batch should take at most */
        char metrics_file[PATH_MAX]; /* Prometheus text written each poll; empty: none */
        /* [defaults] */
        struct nf_policy_layer defaults;
        /* [pool] */
        struct nf_pool_params pool;
        /* [vm NAME], sorted by name */
        size_t nr_vms;
        struct nf_vm_config *vms;
        /* Each compiled-in backend's own sections, by its index in nf_backends() (NULL
         * for backends without a config of their own). */
        void *backend_conf[NF_CONFIG_MAX_BACKENDS];
        /* The first section left unread because its backend is not compiled in. */
        char ignored[192];
        /* Where every section and key was written: for messages. */
        struct nf_config_origins *origins;
};

/* Built-in defaults, as if from an empty file. NULL on out of memory. */
struct nf_config *nf_config_new(void);
void nf_config_free(struct nf_config *c);

/*
 * Reads and validates path. On failure returns -errno, *out untouched, and err holds
 * one line naming the file, line, section and key: "numaflipd.conf:12: [vm web1]
 * threshold: invalid share '5x%'". Keys that contradict each other (target above
 * threshold, pool min above max, a VM beyond its node) are named both, each with its
 * line: "numaflipd.conf:9: [pool] min: 100 pages is above max (50 pages) (max: line 10)".
 * A section or a key written twice is an error naming both lines. Only a fully valid
 * config is returned.
 */
int nf_config_load(const char *path, struct nf_config **out, char *err, size_t errlen);

/* The same from a string (tests, fuzzing); name stands in for the file name. */
int nf_config_load_string(const char *text, const char *name, struct nf_config **out, char *err,
                          size_t errlen);

/* The [vm NAME] section for a guest, or NULL. */
const struct nf_vm_config *nf_config_vm(const struct nf_config *c, const char *name);

/* The policy in force for a guest: built-in, then [defaults], then its [vm] section. */
void nf_config_policy(const struct nf_config *c, const char *name, struct nf_policy_params *out,
                      struct nf_policy_sources *src);

/* Calls fn for every key a file may hold, with its section's kind as numaflipd.conf(5)
 * heads it: "daemon", "defaults", "vm", "pool", and each compiled-in backend's ("sim",
 * "sim.vm"). The policy keys [vm NAME] shares with [defaults] come under "defaults". */
void nf_config_each_key(void (*fn)(const char *section, const char *key, void *arg), void *arg);

/* The config of the backend ops within c, or NULL when it has none. */
const void *nf_config_backend(const struct nf_config *c, const struct nf_backend_ops *ops);

/* "built-in", "numaflipd.conf:7 [defaults]" or "numaflipd.conf:20 [vm web1]" into buf. */
char *nf_config_source_format(const struct nf_config *c, const char *vm,
                              const struct nf_policy_sources *src, enum nf_policy_field f,
                              char *buf, size_t len);

#endif
