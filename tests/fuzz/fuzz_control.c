/* libFuzzer harness: request lines dispatched against a live daemon on the sim backend. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <event2/event.h>

#include "nf_control.h"
#include "nf_log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char conf[] = "[daemon]\nbackend = sim\n"
                           "[sim]\nclock = virtual\nstep = 1s\n"
                           "[sim.vm web1]\nmemory = 256MiB\nhome = 1\nflip_rate = 50/s\n"
                           "[sim.vm pv1]\nmemory = 64MiB\nhome = 1\nmigratable = no\n";

/* One daemon for the whole run, as a server sees request after request. */
static struct nf_daemon daemon_state;
static struct event_base *base;

static void setup(void)
{
        char err[512];
        struct nf_config *c;
        nf_log_init("fuzz", NF_LOG_ERR, 0);
        base = event_base_new();
        if (!base || nf_config_load_string(conf, "fuzz.conf", &c, err, sizeof(err)) ||
            nf_daemon_init(&daemon_state, base, c, "fuzz.conf", err, sizeof(err)))
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        if (!base)
                setup();
        size_t len = 0;
        char *out = nf_control_handle_line(&daemon_state, (const char *)data, size, true, &len);
        /* Every line gets exactly one reply line. */
        if (!out || len == 0 || out[len - 1] != '\n')
                abort();
        for (size_t i = 0; i + 1 < len; i++)
                if (out[i] == '\n')
                        abort();
        free(out);
        return 0;
}
