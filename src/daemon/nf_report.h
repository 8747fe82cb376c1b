/* JSON views of the daemon's state for the control protocol: status, vm, pool. */
#ifndef NF_REPORT_H
#define NF_REPORT_H

#include <jansson.h>

#include "nf_daemon.h"
#include "nf_units.h"

json_t *nf_report_status(const struct nf_daemon *d);

/* The status serialised, kept until the daemon changes or it is NF_REPORT_STATUS_MAX_AGE
 * old on d->wall (its times age too): the answer to a hammering monitor costs a copy. Owned by d.
 */
#define NF_REPORT_STATUS_MAX_AGE (100 * NF_NS_PER_MS)
const char *nf_report_status_serialised(struct nf_daemon *d, size_t *len);
json_t *nf_report_vm(const struct nf_daemon *d, const struct nf_guest *g);
json_t *nf_report_pools(const struct nf_daemon *d);
/* A guest's history, oldest point first, with its bounds and migration counters. */
json_t *nf_report_history(const struct nf_daemon *d, const struct nf_guest *g);
json_t *nf_report_version(const struct nf_daemon *d);

/* A resolved policy, key by key: {"mode": {"value": "threshold", "source": "..."}, ...}. */
json_t *nf_report_policy(const struct nf_config *cfg, const char *vm,
                         const struct nf_policy_params *p, const struct nf_policy_sources *src);

#endif
