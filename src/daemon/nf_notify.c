/* Service manager notifications (sd_notify) and the watchdog, when systemd asks for them. */
#include "nf_notify.h"

#include <stdio.h>
#include <stdlib.h>

#include "nf_sched.h"

#ifdef NF_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

int nf_notify_enabled(void)
{
        return getenv("NOTIFY_SOCKET") != NULL;
}

void nf_notify_ready(const char *status)
{
        sd_notifyf(0, "READY=1\nSTATUS=%s", status);
}

void nf_notify_reloading(void)
{
        /* MONOTONIC_USEC lets newer managers pair RELOADING with the READY that follows. */
        sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
                   (unsigned long long)(nf_clock_monotonic() / 1000));
}

void nf_notify_stopping(void)
{
        sd_notify(0, "STOPPING=1");
}

void nf_notify_status(const char *status)
{
        sd_notifyf(0, "STATUS=%s", status);
}

void nf_notify_watchdog(void)
{
        sd_notify(0, "WATCHDOG=1");
}

uint64_t nf_notify_watchdog_usec(void)
{
        uint64_t usec = 0;
        if (sd_watchdog_enabled(0, &usec) > 0)
                return usec;
        return 0;
}
#else
/* Built without libsystemd: nobody to notify. */
int nf_notify_enabled(void)
{
        return 0;
}
void nf_notify_ready(const char *status)
{
        (void)status;
}
void nf_notify_reloading(void)
{
}
void nf_notify_stopping(void)
{
}
void nf_notify_status(const char *status)
{
        (void)status;
}
void nf_notify_watchdog(void)
{
}
uint64_t nf_notify_watchdog_usec(void)
{
        return 0;
}
#endif
