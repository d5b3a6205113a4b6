// The module in a busy process: 16 threads looking up at once while jitd's
// file (large enough to be memory-mapped) is replaced under them, enumerations running alongside,
// and fork() while other threads are in the middle of a lookup.  Every answer must be one of the
// two snapshots' answers, and a child must be able to look up right after fork (the module holds no
// lock a fork could leave taken).
#include "nss_harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define THREADS 16
#define LOOKUPS_PER_THREAD 4000

static const char* kVersionA =
    "group jit-ops 62000\n"
    "account deploy 61000 62100 always gecos=version_A groups=jit-ops\n"
    "account backup 61001 62101 granted\n"
    "account hidden 61002 62102 granted\n"
    "grant backup -60 +3600 groups=jit-ops\n"
    "bulk 1000 63000 always\n";
static const char* kVersionB =
    "group jit-ops 62000\n"
    "account deploy 61000 62100 always gecos=version_B groups=jit-ops\n"
    "account backup 61001 62101 granted\n"
    "account hidden 61002 62102 granted\n"
    "grant backup -60 +3600 groups=jit-ops\n"
    "bulk 1000 63000 always\n";

static char version_a[600], version_b[600];
static atomic_int errors;
static atomic_long lookups;
static atomic_bool stop;

static void bad(const char* what) {
    if (atomic_fetch_add(&errors, 1) < 10) fprintf(stderr, "wrong answer: %s\n", what);
}

// One round of lookups with the answers both versions agree on.
static void lookup_round(unsigned* seed, char* buf, size_t len) {
    struct passwd pw;
    struct group gr;
    int err = 0;
    switch (rand_r(seed) % 6) {
        case 0:
            if (nss.getpwnam_r("deploy", &pw, buf, len, &err) != NSS_STATUS_SUCCESS ||
                pw.pw_uid != 61000 ||
                (strcmp(pw.pw_gecos, "version_A") != 0 && strcmp(pw.pw_gecos, "version_B") != 0))
                bad("getpwnam deploy");
            break;
        case 1:
            if (nss.getpwnam_r("hidden", &pw, buf, len, &err) != NSS_STATUS_NOTFOUND)
                bad("getpwnam hidden");
            break;
        case 2: {
            unsigned n = rand_r(seed) % 1000;
            char name[16];
            snprintf(name, sizeof name, "u%06u", n);
            if (nss.getpwuid_r(63000 + n, &pw, buf, len, &err) != NSS_STATUS_SUCCESS ||
                strcmp(pw.pw_name, name) != 0)
                bad("getpwuid bulk");
            break;
        }
        case 3:
            if (nss.getgrnam_r("jit-ops", &gr, buf, len, &err) != NSS_STATUS_SUCCESS ||
                !gr.gr_mem[0] || strcmp(gr.gr_mem[0], "backup") != 0 || !gr.gr_mem[1] ||
                strcmp(gr.gr_mem[1], "deploy") != 0 || gr.gr_mem[2])
                bad("getgrnam jit-ops");
            break;
        case 4: {
            long int start = 0, size = 0;
            gid_t* groups = NULL;
            if (nss.initgroups_dyn("backup", 62101, &start, &size, &groups, 0, &err) !=
                    NSS_STATUS_SUCCESS ||
                start != 1 || groups[0] != 62000)
                bad("initgroups backup");
            free(groups);
            break;
        }
        default:
            if (nss.getpwnam_r("nosuch", &pw, buf, len, &err) != NSS_STATUS_NOTFOUND)
                bad("getpwnam nosuch");
            break;
    }
    atomic_fetch_add(&lookups, 1);
}

static void* lookup_thread(void* arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    char buf[2048];
    for (int i = 0; i < LOOKUPS_PER_THREAD; ++i) lookup_round(&seed, buf, sizeof buf);
    return NULL;
}

static void* lookup_until_stopped(void* arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    char buf[2048];
    while (!atomic_load(&stop)) lookup_round(&seed, buf, sizeof buf);
    return NULL;
}

// Swaps the two versions in by rename, as jitd replaces the file.
static void* swapper(void* arg) {
    (void)arg;
    for (int i = 0; !atomic_load(&stop); ++i) {
        char tmp[620];
        snprintf(tmp, sizeof tmp, "%s.swap", snapshot_path);
        if (link(i % 2 ? version_a : version_b, tmp) != 0 || rename(tmp, snapshot_path) != 0)
            bad("swapper could not replace the file");
        usleep(2000);
    }
    return NULL;
}

static void* enumerator(void* arg) {
    (void)arg;
    char buf[2048];
    struct passwd pw;
    int err = 0;
    while (!atomic_load(&stop)) {
        nss.setpwent(0);
        int n = 0;
        while (nss.getpwent_r(&pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS) ++n;
        // Other threads share the cursor (as the API does), so only a bound.
        if (n > 1002) bad("enumeration returned more entries than exist");
        nss.endpwent();
    }
    return NULL;
}

static int setup_world(void** state) {
    setup_module(state);
    use_snapshot("threads-b");
    make_snapshot(kVersionB);
    snprintf(version_b, sizeof version_b, "%s", snapshot_path);
    use_snapshot("threads-a");
    make_snapshot(kVersionA);
    snprintf(version_a, sizeof version_a, "%s", snapshot_path);
    use_snapshot("threads");
    char tmp[620];
    snprintf(tmp, sizeof tmp, "%s.swap", snapshot_path);
    unlink(tmp);
    unlink(snapshot_path);
    if (link(version_a, snapshot_path) != 0) fail_msg("link: %s", strerror(errno));
    return 0;
}

static void sixteen_threads_while_the_file_is_replaced(void** state) {
    (void)state;
    atomic_store(&errors, 0);
    atomic_store(&lookups, 0);
    atomic_store(&stop, false);
    pthread_t helpers[2], workers[THREADS];
    pthread_create(&helpers[0], NULL, swapper, NULL);
    pthread_create(&helpers[1], NULL, enumerator, NULL);
    for (uintptr_t i = 0; i < THREADS; ++i)
        pthread_create(&workers[i], NULL, lookup_thread, (void*)(i + 1));
    for (int i = 0; i < THREADS; ++i) pthread_join(workers[i], NULL);
    atomic_store(&stop, true);
    pthread_join(helpers[0], NULL);
    pthread_join(helpers[1], NULL);
    print_message("%ld lookups in %d threads\n", atomic_load(&lookups), THREADS);
    assert_int_equal(atomic_load(&lookups), THREADS * LOOKUPS_PER_THREAD);
    assert_int_equal(atomic_load(&errors), 0);
}

// The child of a fork taken while four threads were inside the module.
static int child_lookups(void) {
    alarm(10);  // a lock inherited held would hang here: die instead
    unsigned seed = (unsigned)getpid();
    char buf[2048];
    for (int i = 0; i < 50; ++i) lookup_round(&seed, buf, sizeof buf);
    struct passwd pw;
    int err = 0, n = 0;
    nss.setpwent(0);
    while (nss.getpwent_r(&pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS) ++n;
    nss.endpwent();
    if (n != 1002) return 3;  // deploy, backup and the 1000 bulk accounts
    return atomic_load(&errors) == 0 ? 0 : 2;
}

static void fork_while_other_threads_look_up(void** state) {
    (void)state;
    atomic_store(&errors, 0);
    atomic_store(&stop, false);
    pthread_t workers[4], walker;
    for (uintptr_t i = 0; i < 4; ++i)
        pthread_create(&workers[i], NULL, lookup_until_stopped, (void*)(i + 100));
    pthread_create(&walker, NULL, enumerator, NULL);
    int children = 0, failures = 0;
    for (int i = 0; i < 100; ++i) {
        pid_t pid = fork();
        if (pid == 0) _exit(child_lookups());
        int status = 0;
        waitpid(pid, &status, 0);
        ++children;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            ++failures;
            print_error("child %d: %s %d\n", i, WIFEXITED(status) ? "exit" : "signal",
                        WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 4; ++i) pthread_join(workers[i], NULL);
    pthread_join(walker, NULL);
    assert_int_equal(children, 100);
    assert_int_equal(failures, 0);
    assert_int_equal(atomic_load(&errors), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sixteen_threads_while_the_file_is_replaced),
        cmocka_unit_test(fork_while_other_threads_look_up),
    };
    return cmocka_run_group_tests(tests, setup_world, NULL);
}
