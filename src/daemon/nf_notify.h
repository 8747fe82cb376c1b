/* Service manager notifications (sd_notify) and the watchdog, when systemd asks for them. */
#ifndef NF_NOTIFY_H
#define NF_NOTIFY_H

#include <stdint.h>

/* Whether a service manager listens (NOTIFY_SOCKET set and libsystemd built in). */
int nf_notify_enabled(void);
void nf_notify_ready(const char *status);
void nf_notify_reloading(void);
void nf_notify_stopping(void);
void nf_notify_status(const char *status);
void nf_notify_watchdog(void);
/* Watchdog interval the manager wants (0 when none): ping at half of it. */
uint64_t nf_notify_watchdog_usec(void);

#endif
