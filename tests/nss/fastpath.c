// The fast path: the module keeps the snapshot mapped from call to call and
// must still answer as if it read the file afresh each time.  A replaced file
// is seen on the very next call; one replaced without jitd's superseded mark
// within a second; an account ends at its not_after to the second with no
// writer running; a child after fork sees the parent's replacements; a hit
// makes no system call at all (the kernel's strict seccomp mode kills the
// process on any call but read, write and exit); descriptors and mappings
// stay bounded over 10,000 cycles of lookups and replacements.
#include "nss_harness.h"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

static const char* kVersionA =
    "group jit-ops 62000\n"
    "account deploy 61000 62100 always gecos=version_A groups=jit-ops\n"
    "account backup 61001 62101 granted\n"
    "grant backup -60 +3600 groups=jit-ops\n";
static const char* kVersionB =
    "group jit-ops 62000\n"
    "account deploy 61000 62100 always gecos=version_B groups=jit-ops\n"
    "account backup 61001 62101 granted\n"
    "grant backup -60 +3600 groups=jit-ops\n";

static unsigned char *bytes_a, *bytes_b;
static size_t len_a, len_b;

static int setup_world(void** state) {
    setup_module(state);
    use_snapshot("fastpath-b");
    make_snapshot(kVersionB);
    bytes_b = slurp(snapshot_path, &len_b);
    use_snapshot("fastpath-a");
    make_snapshot(kVersionA);
    bytes_a = slurp(snapshot_path, &len_a);
    use_snapshot("fastpath");
    return 0;
}

static int before_each(void** state) {
    (void)state;
    withdraw_snapshot();
    publish_bytes(bytes_a, len_a, 0644);
    return 0;
}

// deploy's gecos, or the status when it was not served.
static const char* deploy_gecos(char* buf, size_t len) {
    struct passwd pw;
    int err = 0;
    enum nss_status s = nss.getpwnam_r("deploy", &pw, buf, len, &err);
    return s == NSS_STATUS_SUCCESS ? pw.pw_gecos : status_name(s);
}

static double seconds_since(const struct timespec* t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void a_replaced_snapshot_is_seen_on_the_next_call(void** state) {
    (void)state;
    char buf[1024];
    for (int i = 0; i < 50; ++i) {
        const bool b = i % 2;
        publish_bytes(b ? bytes_b : bytes_a, b ? len_b : len_a, 0644);
        assert_string_equal(deploy_gecos(buf, sizeof buf), b ? "version_B" : "version_A");
        assert_string_equal(deploy_gecos(buf, sizeof buf), b ? "version_B" : "version_A");
    }
    // jitd's own writer, through mksnapshot: the same.
    make_snapshot(kVersionB);
    assert_string_equal(deploy_gecos(buf, sizeof buf), "version_B");
    make_snapshot(kVersionA);
    assert_string_equal(deploy_gecos(buf, sizeof buf), "version_A");
    withdraw_snapshot();
    assert_string_equal(deploy_gecos(buf, sizeof buf), "UNAVAIL");
    publish_bytes(bytes_b, len_b, 0644);
    assert_string_equal(deploy_gecos(buf, sizeof buf), "version_B");
}

// A writer that does not mark the file it replaces (one that predates the
// mark, or a hand-made rename): the module's stat, once per second, finds
// the new file.
static void a_replacement_without_the_mark_is_seen_within_a_second(void** state) {
    (void)state;
    char buf[1024];
    for (int round = 0; round < 3; ++round) {
        assert_string_equal(deploy_gecos(buf, sizeof buf), "version_A");
        assert_true(replace_file(snapshot_path, bytes_b, len_b, 0644, false));
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        while (strcmp(deploy_gecos(buf, sizeof buf), "version_B") != 0) {
            if (seconds_since(&t0) > 1.2) fail_msg("the unmarked file unseen after 1.2 s");
            usleep(2000);
        }
        print_message("unmarked replacement seen after %.3f s\n", seconds_since(&t0));
        publish_bytes(bytes_a, len_a, 0644);
    }
}

// Changed in place without a mark: made writable by others.  Refused within
// a second, as a file that is mapped afresh would be at once.
static void a_change_in_place_without_the_mark_is_seen_within_a_second(void** state) {
    (void)state;
    char buf[1024];
    assert_string_equal(deploy_gecos(buf, sizeof buf), "version_A");
    assert_int_equal(chmod(snapshot_path, 0666), 0);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (strcmp(deploy_gecos(buf, sizeof buf), "UNAVAIL") != 0) {
        if (seconds_since(&t0) > 1.2) fail_msg("mode 0666 still served after 1.2 s");
        usleep(2000);
    }
    assert_int_equal(chmod(snapshot_path, 0644), 0);
}

// The account's grant ends at T; nothing rewrites the file (mksnapshot has
// exited, there is no jitd).  Served in second T-1, gone in second T.
static void an_account_ends_at_not_after_to_the_second_with_no_writer(void** state) {
    (void)state;
    time_t end = time(NULL) + 2;
    char spec[256];
    snprintf(spec, sizeof spec,
             "group jit-ops 62000\naccount brief 61005 62105 granted\n"
             "grant brief -10 %lld groups=jit-ops\n",
             (long long)end);
    make_snapshot(spec);
    char buf[1024];
    struct passwd pw;
    struct group gr;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("brief", &pw, buf, sizeof buf, &err));
    while (time(NULL) < end - 1) usleep(1000);
    assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("brief", &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_SUCCESS, nss.getgrnam_r("brief", &gr, buf, sizeof buf, &err));
    while (time(NULL) < end) usleep(200);
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r("brief", &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwuid_r(61005, &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_NOTFOUND, nss.getgrnam_r("brief", &gr, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_SUCCESS, nss.getgrnam_r("jit-ops", &gr, buf, sizeof buf, &err));
    assert_null(gr.gr_mem[0]);
    assert_int_equal(time(NULL), end);  // all of it inside second T
}

// The child inherits the parent's mapping; the parent then replaces the
// file; the child's next call sees the new one.
static void a_child_after_fork_sees_the_parents_replacement(void** state) {
    (void)state;
    char buf[1024];
    assert_string_equal(deploy_gecos(buf, sizeof buf), "version_A");
    int go[2];
    assert_int_equal(pipe(go), 0);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        close(go[1]);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(4);
        _exit(strcmp(deploy_gecos(buf, sizeof buf), "version_B") == 0 ? 0 : 3);
    }
    close(go[0]);
    publish_bytes(bytes_b, len_b, 0644);
    assert_int_equal(write(go[1], "x", 1), 1);
    close(go[1]);
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

// Hits and misses of every kind, with answers checked; the number wrong.
static int lookups_without_system_calls(int rounds) {
    char buf[1024];
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    gid_t groups[16];
    gid_t* list = groups;
    int err = 0, wrong = 0;
    for (int i = 0; i < rounds; ++i) {
        wrong += nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS ||
                 pw.pw_uid != 61000;
        wrong += nss.getpwnam_r("nosuch", &pw, buf, sizeof buf, &err) != NSS_STATUS_NOTFOUND;
        wrong += nss.getpwuid_r(61001, &pw, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS;
        wrong += nss.getpwuid_r(4242, &pw, buf, sizeof buf, &err) != NSS_STATUS_NOTFOUND;
        wrong += nss.getgrnam_r("jit-ops", &gr, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS;
        wrong += nss.getgrgid_r(62101, &gr, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS;
        wrong += nss.getspnam_r("backup", &sp, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS;
        long int start = 0, size = 16;  // room enough: no realloc
        wrong += nss.initgroups_dyn("backup", 62101, &start, &size, &list, 0, &err) !=
                     NSS_STATUS_SUCCESS ||
                 start != 1 || list != groups;
        nss.setpwent(0);
        int n = 0;
        while (nss.getpwent_r(&pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS) ++n;
        wrong += n != 2;
    }
    return wrong;
}

static void a_lookup_after_the_first_makes_no_system_call(void** state) {
    (void)state;
    if (getenv("JIT_NSS_UNDER_VALGRIND")) {
        print_message("SKIPPED: valgrind makes system calls of its own in the process\n");
        skip();
    }
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        if (lookups_without_system_calls(1) != 0) _exit(2);
        // Start at the top of a second, after the stat the new second brings
        // (the module's check for unmarked replacements, once a second).
        time_t t = time(NULL);
        while (time(NULL) == t) {
        }
        if (lookups_without_system_calls(1) != 0) _exit(2);
        if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != 0) _exit(5);
        // From here any system call but read, write and exit is SIGKILL.
        int wrong = lookups_without_system_calls(2000);
        syscall(SYS_exit, wrong == 0 ? 0 : 3);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    if (WIFSIGNALED(status))
        fail_msg("killed by signal %d: a lookup made a system call", WTERMSIG(status));
    assert_true(WIFEXITED(status));
    if (WEXITSTATUS(status) == 5) fail_msg("cannot enter seccomp strict mode");
    assert_int_equal(WEXITSTATUS(status), 0);
}

// 10,000 cycles of lookups, with the file replaced every 100: the count of
// open descriptors never moves, and files replaced are unmapped once no call
// reads them (one mapping left, the current file's).
static void descriptors_and_mappings_stay_bounded_over_10000_cycles(void** state) {
    (void)state;
    char buf[1024];
    struct passwd pw;
    struct group gr;
    int err = 0;
    assert_string_equal(deploy_gecos(buf, sizeof buf), "version_A");
    const int fds = count_open_fds();
    for (int i = 0; i < 10000; ++i) {
        if (i % 100 == 99) {
            const bool b = (i / 100) % 2 == 0;
            publish_bytes(b ? bytes_b : bytes_a, b ? len_b : len_a, 0644);
        }
        assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err));
        assert_status(NSS_STATUS_SUCCESS, nss.getgrnam_r("jit-ops", &gr, buf, sizeof buf, &err));
        assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r("nosuch", &pw, buf, sizeof buf, &err));
        if (count_open_fds() != fds)
            fail_msg("cycle %d: %d descriptors, was %d", i, count_open_fds(), fds);
    }
    assert_int_equal(count_snapshot_mappings(), 1);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(a_replaced_snapshot_is_seen_on_the_next_call, before_each),
        cmocka_unit_test_setup(a_replacement_without_the_mark_is_seen_within_a_second, before_each),
        cmocka_unit_test_setup(a_change_in_place_without_the_mark_is_seen_within_a_second,
                               before_each),
        cmocka_unit_test_setup(an_account_ends_at_not_after_to_the_second_with_no_writer,
                               before_each),
        cmocka_unit_test_setup(a_child_after_fork_sees_the_parents_replacement, before_each),
        cmocka_unit_test_setup(a_lookup_after_the_first_makes_no_system_call, before_each),
        cmocka_unit_test_setup(descriptors_and_mappings_stay_bounded_over_10000_cycles,
                               before_each),
    };
    return cmocka_run_group_tests(tests, setup_world, NULL);
}
