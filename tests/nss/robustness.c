// The snapshot as an attacker or a crash leaves it: missing, corrupt,
// truncated, oversized, swapped for something else, owned by the wrong user or
// writable by others.  A file the module must not trust, or whose header or
// layout is wrong, makes every call UNAVAIL (jit's accounts vanish); damage
// inside the file makes what it touches NOTFOUND.  Never a crash, never a
// wrong answer.  And windows are enforced by the module's own clock: an
// account disappears on time with no jitd running at all.
#include "nss_harness.h"

static const char* kWorld =
    "group jit-ops 62000\n"
    "account deploy 61000 62100 always groups=jit-ops\n"
    "grant alice -60 +3600 groups=jit-ops\n";

static unsigned char* good;
static size_t good_len;

static void read_file(const char* path, unsigned char** data, size_t* len) {
    FILE* f = fopen(path, "rb");
    if (!f) fail_msg("%s: %s", path, strerror(errno));
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    rewind(f);
    *data = malloc(*len ? *len : 1);
    if (fread(*data, 1, *len, f) != *len) fail_msg("short read of %s", path);
    fclose(f);
}

// Replaces the snapshot with these bytes (a new file, renamed over it, the
// old one marked superseded as jitd does).
static void write_snapshot(const unsigned char* data, size_t len, mode_t mode) {
    publish_bytes(data, len, mode);
}

static void restore_good(void) {
    withdraw_snapshot();
    rmdir(snapshot_path);
    write_snapshot(good, good_len, 0644);
}

static int setup_world(void** state) {
    setup_module(state);
    use_snapshot("robustness");
    make_snapshot(kWorld);
    read_file(snapshot_path, &good, &good_len);
    return 0;
}

static int before_each(void** state) {
    (void)state;
    restore_good();
    return 0;
}

// Every database refuses in the same way.
static void assert_unavailable(const char* why) {
    char buf[1024];
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    int err = 0;
    enum nss_status s = nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err);
    if (s != NSS_STATUS_UNAVAIL || err != ENOENT)
        fail_msg("%s: getpwnam_r gave %s errno %d, wanted UNAVAIL ENOENT", why, status_name(s),
                 err);
    assert_status(NSS_STATUS_UNAVAIL, nss.getpwuid_r(61000, &pw, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_UNAVAIL, nss.getgrnam_r("jit-ops", &gr, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_UNAVAIL, nss.getgrgid_r(62000, &gr, buf, sizeof buf, &err));
    assert_status(NSS_STATUS_UNAVAIL, nss.getspnam_r("deploy", &sp, buf, sizeof buf, &err));
    nss.setpwent(0);
    assert_status(NSS_STATUS_UNAVAIL, nss.getpwent_r(&pw, buf, sizeof buf, &err));
    nss.setgrent(0);
    assert_status(NSS_STATUS_UNAVAIL, nss.getgrent_r(&gr, buf, sizeof buf, &err));
    long int start = 0, size = 0;
    gid_t* groups = NULL;
    assert_status(NSS_STATUS_UNAVAIL,
                  nss.initgroups_dyn("alice", 1000, &start, &size, &groups, 0, &err));
    assert_int_equal(start, 0);
    free(groups);
}

static void assert_serves(void) {
    char buf[1024];
    struct passwd pw;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err));
    assert_int_equal(pw.pw_uid, 61000);
}

static void the_good_file_is_served(void** state) {
    (void)state;
    assert_serves();
}

static void missing_file(void** state) {
    (void)state;
    assert_serves();  // mapped, then taken away
    withdraw_snapshot();
    assert_unavailable("missing");
}

// What a lookup may answer from a damaged file: UNAVAIL, NOTFOUND, or
// exactly what the good file says (a jit group may lose members, never gain
// one).  Returns true when deploy was served.
static bool assert_never_wrong(const char* why) {
    char buf[1024];
    struct passwd pw;
    struct group gr;
    struct spwd sp;
    int err = 0;
    bool served = false;
    enum nss_status s = nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err);
    if (s == NSS_STATUS_SUCCESS) {
        served = true;
        if (strcmp(pw.pw_name, "deploy") || pw.pw_uid != 61000 || pw.pw_gid != 62100 ||
            strcmp(pw.pw_dir, "/home/deploy") || strcmp(pw.pw_shell, "/bin/sh") ||
            strcmp(pw.pw_gecos, ""))
            fail_msg("%s: getpwnam_r gave a wrong deploy", why);
    } else if (s != NSS_STATUS_NOTFOUND && s != NSS_STATUS_UNAVAIL) {
        fail_msg("%s: getpwnam_r gave %s", why, status_name(s));
    }
    s = nss.getpwuid_r(61000, &pw, buf, sizeof buf, &err);
    if (s == NSS_STATUS_SUCCESS && (strcmp(pw.pw_name, "deploy") || pw.pw_uid != 61000))
        fail_msg("%s: getpwuid_r gave a wrong account", why);
    s = nss.getgrnam_r("jit-ops", &gr, buf, sizeof buf, &err);
    if (s == NSS_STATUS_SUCCESS) {
        if (gr.gr_gid != 62000) fail_msg("%s: jit-ops with gid %u", why, gr.gr_gid);
        for (char** m = gr.gr_mem; *m; ++m)
            if (strcmp(*m, "alice") && strcmp(*m, "deploy"))
                fail_msg("%s: jit-ops lists %s", why, *m);
    }
    s = nss.getgrgid_r(62000, &gr, buf, sizeof buf, &err);
    if (s == NSS_STATUS_SUCCESS && strcmp(gr.gr_name, "jit-ops"))
        fail_msg("%s: gid 62000 is %s", why, gr.gr_name);
    s = nss.getspnam_r("deploy", &sp, buf, sizeof buf, &err);
    if (s == NSS_STATUS_SUCCESS && (strcmp(sp.sp_namp, "deploy") || strcmp(sp.sp_pwdp, "!*")))
        fail_msg("%s: getspnam_r gave a wrong entry", why);
    long int start = 0, size = 0;
    gid_t* groups = NULL;
    s = nss.initgroups_dyn("alice", 1000, &start, &size, &groups, 0, &err);
    if (start > 1 || (start == 1 && groups[0] != 62000))
        fail_msg("%s: initgroups gave alice a wrong group", why);
    free(groups);
    nss.setpwent(0);
    while (nss.getpwent_r(&pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS)
        if (strcmp(pw.pw_name, "deploy") || pw.pw_uid != 61000)
            fail_msg("%s: enumeration gave %s", why, pw.pw_name);
    return served;
}

static uint32_t rd32(const unsigned char* b, size_t at) {
    return b[at] | (uint32_t)b[at + 1] << 8 | (uint32_t)b[at + 2] << 16 | (uint32_t)b[at + 3] << 24;
}

// The first account's block (snapshot.h, ACCOUNT): its offset, and in *used
// the length of its record, windows and strings.
static size_t first_block(const unsigned char* b, size_t* used) {
    size_t at = rd32(b, 76) + 64 * (size_t)rd32(b, rd32(b, 60));
    *used = 32 + 16 * (size_t)rd32(b, at + 12) + 4;
    for (int k = 0; k < 4; ++k) *used += b[at + 24 + 2 * k] | (size_t)b[at + 25 + 2 * k] << 8;
    return at;
}

// Each byte, one at a time.  The header and layout are checked on every
// call; deploy's own block (the one account) carries a check value that any
// changed byte breaks.
static void every_flipped_byte_is_refused_or_harmless(void** state) {
    (void)state;
    unsigned char* bad = malloc(good_len);
    size_t used;
    const size_t block = first_block(good, &used);
    assert_true(block > 96 && used > 32 + 16);
    for (size_t i = 0; i < good_len; ++i) {
        memcpy(bad, good, good_len);
        bad[i] ^= 0x01;
        write_snapshot(bad, good_len, 0644);
        char why[64];
        snprintf(why, sizeof why, "byte %zu flipped", i);
        if (i < 24 || (i >= 40 && i < 96))
            assert_unavailable(why);  // magic, version, sizes, counts, offsets
        else if (i >= block && i < block + used && assert_never_wrong(why))
            fail_msg("%s: deploy's damaged block was served", why);
        else
            assert_never_wrong(why);
    }
    free(bad);
}

static void truncated_files(void** state) {
    (void)state;
    size_t lengths[] = {0, 1, 8, 95, 96, good_len / 2, good_len - 1};
    for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; ++i) {
        write_snapshot(good, lengths[i], 0644);
        char why[64];
        snprintf(why, sizeof why, "truncated to %zu bytes", lengths[i]);
        assert_unavailable(why);
    }
}

static void oversized_files(void** state) {
    (void)state;
    size_t len = good_len + 4096;
    unsigned char* big = calloc(1, len);
    memcpy(big, good, good_len);
    write_snapshot(big, len, 0644);
    assert_unavailable("trailing bytes");
    free(big);
    // Larger than any snapshot the module accepts: refused from fstat alone.
    // Grown in place, then marked, as if a writer had replaced it.
    int fd = open(snapshot_path, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, (off_t)2 << 30), 0);  // sparse, 2 GiB
    assert_true(mark_fd_superseded(fd));
    close(fd);
    assert_unavailable("2 GiB");
}

static void writable_by_group_or_others(void** state) {
    (void)state;
    write_snapshot(good, good_len, 0664);
    assert_unavailable("mode 0664");
    write_snapshot(good, good_len, 0646);
    assert_unavailable("mode 0646");
    write_snapshot(good, good_len, 0600);  // owner-only is fine
    assert_serves();
}

static void not_a_regular_file(void** state) {
    (void)state;
    char target[600];
    snprintf(target, sizeof target, "%s.target", snapshot_path);
    write_snapshot(good, good_len, 0644);
    assert_serves();
    // The good file marked as replaced and moved aside, and a symlink to it
    // put in its place.
    assert_true(mark_superseded(snapshot_path));
    rename(snapshot_path, target);
    assert_int_equal(symlink(target, snapshot_path), 0);
    assert_unavailable("symlink to a good snapshot");
    unlink(snapshot_path);
    unlink(target);

    assert_int_equal(mkdir(snapshot_path, 0755), 0);
    assert_unavailable("directory");
    rmdir(snapshot_path);

    // A FIFO must not block the lookup (nobody will ever write to it).
    assert_int_equal(mkfifo(snapshot_path, 0644), 0);
    time_t t0 = time(NULL);
    assert_unavailable("fifo");
    assert_true(time(NULL) - t0 < 2);
    unlink(snapshot_path);
}

static void wrong_owner(void** state) {
    (void)state;
    if (geteuid() != 0) {
        skip();  // only root can give a file to another user
        return;
    }
    write_snapshot(good, good_len, 0644);
    assert_serves();
    // Given away in place, and marked so the change is checked at once.
    assert_int_equal(chown(snapshot_path, 65534, 65534), 0);
    assert_true(mark_superseded(snapshot_path));
    assert_unavailable("owned by nobody, read by root");
    // A process running as nobody trusts root's file and its own, not another user's.
    pid_t pid = fork();
    if (pid == 0) {
        if (setresuid(65534, 65534, 65534) != 0) _exit(10);
        char buf[1024];
        struct passwd pw;
        int err = 0;
        if (nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err) != NSS_STATUS_SUCCESS) _exit(11);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(chown(snapshot_path, 1000, 1000), 0);
    pid = fork();
    if (pid == 0) {
        if (setresuid(65534, 65534, 65534) != 0) _exit(10);
        char buf[1024];
        struct passwd pw;
        int err = 0;
        _exit(nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err) == NSS_STATUS_UNAVAIL ? 0 : 12);
    }
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

// Damage that appears after the module has read a file (same inode): every
// call checks again.
static void a_file_changed_in_place_is_checked_again(void** state) {
    (void)state;
    assert_serves();
    int fd = open(snapshot_path, O_RDWR | O_CLOEXEC);
    assert_true(fd >= 0);
    size_t used;
    const size_t at = first_block(good, &used) + 4;  // deploy's gid
    unsigned char b = good[at] ^ 0x20;
    assert_int_equal(pwrite(fd, &b, 1, (off_t)at), 1);
    b = 'X';  // the magic
    assert_false(assert_never_wrong("deploy's record changed in place"));
    assert_int_equal(pwrite(fd, &b, 1, 0), 1);
    close(fd);
    assert_unavailable("magic changed in place");
}

static void an_account_vanishes_on_time_without_jitd(void** state) {
    (void)state;
    make_snapshot("account brief 61005 62105 granted\ngrant brief -10 +2\n");
    char buf[1024];
    struct passwd pw;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getpwnam_r("brief", &pw, buf, sizeof buf, &err));
    sleep(3);  // nothing rewrites the file: the module's clock alone decides
    assert_status(NSS_STATUS_NOTFOUND, nss.getpwnam_r("brief", &pw, buf, sizeof buf, &err));
}

// Past 64 KiB the module maps the file instead of reading it: the same checks.
static void a_large_snapshot_is_mapped_and_checked_the_same_way(void** state) {
    (void)state;
    make_snapshot("account deploy 61000 62100 always\nbulk 3000 63000 always\n");
    unsigned char* big;
    size_t big_len;
    read_file(snapshot_path, &big, &big_len);
    assert_true(big_len > 64 * 1024);
    assert_serves();
    char buf[1024];
    struct passwd pw;
    int err = 0;
    assert_status(NSS_STATUS_SUCCESS, nss.getpwuid_r(63000 + 2999, &pw, buf, sizeof buf, &err));
    assert_string_equal(pw.pw_name, "u002999");
    int before = count_open_fds();
    big[0] ^= 0x10;
    write_snapshot(big, big_len, 0644);
    assert_unavailable("large file, magic flipped");
    big[0] ^= 0x10;
    // deploy is the first account.
    size_t used;
    const size_t block = first_block(big, &used);
    for (size_t at = block; at < block + used; at += 5) {
        big[at] ^= 0x10;
        write_snapshot(big, big_len, 0644);
        if (nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS)
            fail_msg("large file: deploy served with record byte %zu damaged", at);
        assert_status(NSS_STATUS_SUCCESS, nss.getpwuid_r(63000 + 2999, &pw, buf, sizeof buf, &err));
        big[at] ^= 0x10;
    }
    write_snapshot(big, big_len - 1, 0644);
    assert_unavailable("large file, truncated");
    assert_int_equal(count_open_fds(), before);
    free(big);
}

static void no_descriptor_is_left_behind(void** state) {
    (void)state;
    char buf[1024];
    struct passwd pw;
    struct group gr;
    int err = 0;
    int before = count_open_fds();
    for (int i = 0; i < 100; ++i) {
        nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err);
        nss.getgrnam_r("jit-ops", &gr, buf, sizeof buf, &err);
        nss.setpwent(0);
        while (nss.getpwent_r(&pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS) {
        }
    }
    unlink(snapshot_path);
    nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err);
    assert_int_equal(count_open_fds(), before);
}

// With stdin, stdout and stderr closed the module's descriptor must still
// never be 0-2 (moved above them), and the lookup must work.
static void works_with_stdio_closed(void** state) {
    (void)state;
    pid_t pid = fork();
    if (pid == 0) {
        close(0);
        close(1);
        close(2);
        char buf[1024];
        struct passwd pw;
        int err = 0;
        _exit(nss.getpwnam_r("deploy", &pw, buf, sizeof buf, &err) == NSS_STATUS_SUCCESS ? 0 : 1);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(the_good_file_is_served, before_each),
        cmocka_unit_test_setup(missing_file, before_each),
        cmocka_unit_test_setup(every_flipped_byte_is_refused_or_harmless, before_each),
        cmocka_unit_test_setup(truncated_files, before_each),
        cmocka_unit_test_setup(oversized_files, before_each),
        cmocka_unit_test_setup(writable_by_group_or_others, before_each),
        cmocka_unit_test_setup(not_a_regular_file, before_each),
        cmocka_unit_test_setup(wrong_owner, before_each),
        cmocka_unit_test_setup(a_file_changed_in_place_is_checked_again, before_each),
        cmocka_unit_test_setup(an_account_vanishes_on_time_without_jitd, before_each),
        cmocka_unit_test_setup(a_large_snapshot_is_mapped_and_checked_the_same_way, before_each),
        cmocka_unit_test_setup(no_descriptor_is_left_behind, before_each),
        cmocka_unit_test_setup(works_with_stdio_closed, before_each),
    };
    return cmocka_run_group_tests(tests, setup_world, NULL);
}
