// The time jit_sudo.so spends in one sudo approval (open, check, close), as
// sudo calls it, against a real jitd: the latency the plugin adds to a sudo
// call, without the noise of the rest of sudo.  With "audit", each call also
// runs the audit plugin's hooks around it (open, the front end's accept,
// close with exit status 0), which sends jitd the exit record.
// Usage: sudo_plugin_bench PLUGIN SOCKET USER N [audit]
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sudo_plugin.h>
#include <time.h>

static int quiet(int type, const char* fmt, ...) {
    (void)type;
    (void)fmt;
    return 0;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int cmp(const void* a, const void* b) {
    long long x = *(const long long*)a, y = *(const long long*)b;
    return (x > y) - (x < y);
}

int main(int argc, char** argv) {
    if (argc != 5 && !(argc == 6 && strcmp(argv[5], "audit") == 0)) return 2;
    void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    struct approval_plugin* p = h ? dlsym(h, "jit_approval") : NULL;
    struct audit_plugin* a = argc == 6 && h ? dlsym(h, "jit_audit") : NULL;
    if (!p || (argc == 6 && !a)) return fprintf(stderr, "cannot load %s\n", argv[1]), 1;
    char sock[256], user[128], managed[160];
    snprintf(sock, sizeof sock, "socket=%s", argv[2]);
    snprintf(user, sizeof user, "user=%s", argv[3]);
    snprintf(managed, sizeof managed, "managed_users=%s", "nobody");
    char* options[] = {sock, managed, NULL};
    char* user_info[] = {user, NULL};
    char* none[] = {NULL};
    char* submit[] = {"sudo", "/usr/bin/true", NULL};
    char* info[] = {"command=/usr/bin/true", "runas_user=root", NULL};
    char* run_argv[] = {"true", NULL};
    int n = atoi(argv[4]);
    long long* t = calloc((size_t)n, sizeof *t);
    for (int i = 0; i < n; ++i) {
        const char* err = NULL;
        long long t0 = now_ns();
        int ok = !a || a->open(SUDO_API_VERSION, NULL, quiet, none, user_info, 1, submit, none,
                               options, &err) == 1;
        ok = ok &&
             p->open(SUDO_API_VERSION, NULL, quiet, none, user_info, 1, submit, none, options,
                     &err) == 1 &&
             p->check(info, run_argv, none, &err) == 1;
        p->close();
        if (a) {
            ok = ok && a->accept("sudo", SUDO_FRONT_END, info, run_argv, none, &err) == 1;
            a->close(SUDO_PLUGIN_WAIT_STATUS, 0);
        }
        t[i] = now_ns() - t0;
        if (!ok) return fprintf(stderr, "refused: %s\n", err ? err : "?"), 1;
    }
    qsort(t, (size_t)n, sizeof *t, cmp);
    printf("%lld %lld %lld\n", t[n / 2] / 1000, t[n * 9 / 10] / 1000, t[n * 99 / 100] / 1000);
    return 0;
}
