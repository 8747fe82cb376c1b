/* libFuzzer harness: the configuration parser and validator. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nf_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        char *text = malloc(size + 1);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = '\0';
        struct nf_config *c = NULL;
        char err[NF_ERR_MAX];
        if (nf_config_load_string(text, "fuzz.conf", &c, err, sizeof(err)) == 0) {
                struct nf_policy_params p;
                struct nf_policy_sources src;
                nf_config_policy(c, c->nr_vms ? c->vms[0].name : "x", &p, &src);
                /* A config that loads must be one the policy and pool sizing accept. */
                if (nf_policy_validate(&p, NULL) != 0 || nf_poolsize_validate(&c->pool, NULL) != 0)
                        abort();
                nf_config_free(c);
        } else if (!memchr(err, ':', strlen(err))) {
                abort(); /* every error names where it is */
        }
        free(text);
        return 0;
}
