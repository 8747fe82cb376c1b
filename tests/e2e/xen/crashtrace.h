/* Force-included into the E2E's dom0 programs: print a backtrace on a fatal signal, since dom0 has
 * no debugger. */
#include <execinfo.h>
#include <signal.h>
#include <unistd.h>

static void nf_crashtrace(int sig)
{
        void *frames[64];
        int n = backtrace(frames, 64);

        (void)!write(2, "nf-crashtrace: fatal signal, backtrace:\n", 40);
        backtrace_symbols_fd(frames, n, 2);
        signal(sig, SIG_DFL);
        raise(sig);
}

__attribute__((constructor)) static void nf_crashtrace_init(void)
{
        signal(SIGSEGV, nf_crashtrace);
        signal(SIGBUS, nf_crashtrace);
        signal(SIGABRT, nf_crashtrace);
}
