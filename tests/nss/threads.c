// The module in a busy process: 16 threads looking up at once while jitd's
// file is replaced under them every half millisecond (as jitd does it: renamed over, the
// old one marked superseded), enumerations running alongside, and fork()
// while other threads are in the middle of a lookup or a replacement.  Every
// answer must be one of the two snapshots' answers, the last file written
// must be the one served afterwards, and a child must be able to look up
// right after fork (the module holds no lock a fork could leave taken).
#include "nss_harness.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#define THREADS 16
#define LOOKUPS_PER_THREAD 20000
#define MIN_REPLACEMENTS 20

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

static unsigned char *bytes_a, *bytes_b;
static size_t len_a, len_b;
static atomic_int replacements;
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
        case 0: {
            enum nss_status s = nss.getpwnam_r("deploy", &pw, buf, len, &err);
            if (s != NSS_STATUS_SUCCESS) {
                bad(status_name(s));
            } else if (pw.pw_uid != 61000 || (strcmp(pw.pw_gecos, "version_A") != 0 &&
                                              strcmp(pw.pw_gecos, "version_B") != 0)) {
                bad("getpwnam deploy: wrong entry");
            }
            break;
        }
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
    // Faster lookups or a busy machine can leave the swapper few turns
    // within the quota: go on until enough replacements happened under us.
    while (atomic_load(&replacements) < MIN_REPLACEMENTS) lookup_round(&seed, buf, sizeof buf);
    return NULL;
}

static void* lookup_until_stopped(void* arg) {
    unsigned seed = (unsigned)(uintptr_t)arg;
    char buf[2048];
    while (!atomic_load(&stop)) lookup_round(&seed, buf, sizeof buf);
    return NULL;
}

// Swaps the two versions in as jitd replaces the file (a new file renamed
// over the old one, which is then marked superseded), ending with version B.
static void* swapper(void* arg) {
    (void)arg;
    for (int i = 0; !atomic_load(&stop) || i % 2 == 1; ++i) {
        const bool b = i % 2 == 1;
        if (!replace_file(snapshot_path, b ? bytes_b : bytes_a, b ? len_b : len_a, 0644, true))
            bad("swapper could not replace the file");
        atomic_fetch_add(&replacements, 1);
        usleep(500);
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
    bytes_b = slurp(snapshot_path, &len_b);
    use_snapshot("threads-a");
    make_snapshot(kVersionA);
    bytes_a = slurp(snapshot_path, &len_a);
    use_snapshot("threads");
    withdraw_snapshot();
    publish_bytes(bytes_a, len_a, 0644);
    return 0;
}

static void sixteen_threads_while_the_file_is_replaced(void** state) {
    (void)state;
    atomic_store(&errors, 0);
    atomic_store(&lookups, 0);
    atomic_store(&replacements, 0);
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
    print_message("%ld lookups in %d threads, %d replacements\n", atomic_load(&lookups), THREADS,
                  atomic_load(&replacements));
    assert_true(atomic_load(&lookups) >= THREADS * LOOKUPS_PER_THREAD);
    assert_int_equal(atomic_load(&errors), 0);
    // The last file written is the one served, and the files replaced are
    // unmapped now that no call reads them.
    char buf[2048];
    struct passwd pw;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err));
    assert_string_equal(pw.pw_gecos, "version_B");
    assert_int_equal(count_snapshot_mappings(), 1);
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
    pthread_t workers[4], walker, writer;
    for (uintptr_t i = 0; i < 4; ++i)
        pthread_create(&workers[i], NULL, lookup_until_stopped, (void*)(i + 100));
    pthread_create(&walker, NULL, enumerator, NULL);
    pthread_create(&writer, NULL, swapper, NULL);  // forks land mid-replacement too
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
    pthread_join(writer, NULL);
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
