// pam_jit.so when jitd is slow, stopped, missing or not who it should be:
// a managed account is denied, within the module's one total deadline.
#define _GNU_SOURCE
#include <fcntl.h>

#include "pam_harness.h"

// "quick" has timeout_ms=300: denials by the clock must land inside
// [QUICK_MIN_MS, QUICK_MAX_MS).  "patient" has 3000 ms: failures that need no
// waiting must come back far sooner than that.
#define QUICK_MIN_MS 250
#define QUICK_MAX_MS 800
#define FAST_MS 200

static const struct service_def services[] = {
    {"quick", STACK_PROBE, "socket={sock} server_uid={uid} timeout_ms=300 managed_users=deploy"},
    {"patient", STACK_PROBE, "socket={sock} server_uid={uid} timeout_ms=3000 managed_users=deploy"},
    {"foreign", STACK_PROBE,
     "socket={sock} server_uid={other_uid} timeout_ms=3000 managed_users=deploy"},
};

static void assert_denied_by_the_clock(struct call_result r) {
    assert_pam_rc(PAM_PERM_DENIED, r.module_rc);
    if (r.elapsed_ms < QUICK_MIN_MS || r.elapsed_ms >= QUICK_MAX_MS)
        fail_msg("denied after %lld ms, expected %d..%d", r.elapsed_ms, QUICK_MIN_MS, QUICK_MAX_MS);
}

static void assert_denied_fast(struct call_result r) {
    assert_pam_rc(PAM_PERM_DENIED, r.module_rc);
    if (r.elapsed_ms >= FAST_MS) fail_msg("denied only after %lld ms", r.elapsed_ms);
}

static int need_root(void) {
    if (getuid() == 0) return 1;
    print_message("SKIPPED: needs root to chown the socket to another uid\n");
    skip();
    return 0;
}

// ---- the deadline ----
static void silent_server_is_denied_within_timeout(void** state) {
    struct fake_server* s = serve(state, reply_never);
    assert_denied_by_the_clock(account("quick", MANAGED_USER));
    assert_int_equal(server_requests(s), 1);  // it was asked, and kept quiet
}

static void frozen_server_is_denied_within_timeout(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    if (server_freeze(s) != 0) fail_msg("cannot SIGSTOP the fake server");
    assert_denied_by_the_clock(account("quick", MANAGED_USER));
}

// A frozen server with a listen backlog of one, filled by us: the module's
// connect() gets EAGAIN until its deadline.
static void full_listen_backlog_is_denied_within_timeout(void** state) {
    struct fixture* fx = (struct fixture*)*state;
    if (server_start_backlog(&fx->server, H.socket_path, reply_allow, 1) != 0 ||
        server_freeze(&fx->server) != 0)
        fail_msg("cannot start a frozen fake server");
    int fillers[64], n = 0, full = 0;
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", H.socket_path);
    while (n < 64 && !full) {
        fillers[n] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        full = connect(fillers[n], (struct sockaddr*)&addr, sizeof addr) != 0 && errno == EAGAIN;
        ++n;
    }
    struct call_result r = account("quick", MANAGED_USER);
    for (int i = 0; i < n; ++i) close(fillers[i]);
    if (!full) fail_msg("could not fill the listen backlog");
    assert_denied_by_the_clock(r);
}

// Sends a valid allow one byte every 10 ms: about 0.8 s for the whole frame.
static void reply_allow_dribbled(int conn, const struct seen_request* req) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, req->request_id);
    frame_u64(&f, TAG_DECISION, DECISION_ALLOW);
    frame_string(&f, TAG_REASON, "fake server");
    frame_string(&f, TAG_GRANT_ID, GRANT_ID);
    frame_i64(&f, TAG_NOT_AFTER, time(NULL) + 3600);
    size_t len = frame_finish(&f);
    for (size_t i = 0; i < len; ++i) {
        fake_send(conn, f.bytes + i, 1);
        sleep_ms(10);
    }
}

// The control for the next test: the dribbled allow is a good allow.
static void slow_allow_within_deadline_succeeds(void** state) {
    serve(state, reply_allow_dribbled);
    struct call_result r = account("patient", MANAGED_USER);
    assert_pam_rc(PAM_SUCCESS, r.module_rc);
    if (r.elapsed_ms < QUICK_MAX_MS) fail_msg("the dribble took only %lld ms", r.elapsed_ms);
}

// The deadline covers the whole exchange, not each read.
static void slow_allow_past_total_deadline_is_denied(void** state) {
    serve(state, reply_allow_dribbled);
    assert_denied_by_the_clock(account("quick", MANAGED_USER));
}

// ---- no server, or not a server at the path ----
static void missing_socket_is_denied_fast(void** state) {
    (void)state;
    assert_denied_fast(account("patient", MANAGED_USER));
}

static void regular_file_at_socket_path_is_denied(void** state) {
    (void)state;
    int fd = open(H.socket_path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    assert_true(fd >= 0);
    close(fd);
    assert_denied_fast(account("patient", MANAGED_USER));
}

static void stale_socket_without_listener_is_denied_fast(void** state) {
    struct fixture* fx = (struct fixture*)*state;
    serve(state, reply_allow);
    server_kill(&fx->server);  // the socket file stays, nobody listens
    assert_denied_fast(account("patient", MANAGED_USER));
}

// The module lstat()s the configured path: a symlink is not the socket, even
// when it leads to a live server.
static void symlink_to_live_socket_is_denied(void** state) {
    struct fixture* fx = (struct fixture*)*state;
    if (server_start(&fx->server, H.aux_path, reply_allow) != 0) fail_msg("cannot start server");
    assert_int_equal(symlink(H.aux_path, H.socket_path), 0);
    assert_denied_fast(account("patient", MANAGED_USER));
    assert_int_equal(server_connections(&fx->server), 0);
}

// ---- who the server is ----
static void server_uid_mismatch_is_denied_without_connecting(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    assert_denied_fast(account("foreign", MANAGED_USER));
    assert_int_equal(server_connections(s), 0);
    assert_false(server_has_pending_connection(s));
}

static void socket_owned_by_untrusted_uid_is_denied(void** state) {
    if (!need_root()) return;
    struct fake_server* s = serve(state, reply_allow);
    assert_int_equal(lchown(H.socket_path, H.other_uid, (gid_t)-1), 0);
    assert_denied_fast(account("patient", MANAGED_USER));
    assert_int_equal(server_connections(s), 0);
    assert_false(server_has_pending_connection(s));
}

// The socket file belongs to the trusted uid, but the process behind it does
// not: the module must hang up without sending the request (which names the
// user and the service) to it.
static void untrusted_peer_behind_trusted_socket_is_denied(void** state) {
    if (!need_root()) return;
    struct fake_server* s = serve(state, reply_allow);
    assert_int_equal(lchown(H.socket_path, H.other_uid, (gid_t)-1), 0);
    assert_denied_fast(account("foreign", MANAGED_USER));
    if (!server_wait_finished(s, 1, 2000)) fail_msg("the module never connected");
    assert_int_equal(server_connections(s), 1);
    assert_int_equal(server_requests(s), 0);
}

int main(int argc, char** argv) {
    (void)argc;
    harness_boot(argv, services, COUNT_OF(services));
    const struct CMUnitTest tests[] = {
        JIT_TEST(silent_server_is_denied_within_timeout),
        JIT_TEST(frozen_server_is_denied_within_timeout),
        JIT_TEST(full_listen_backlog_is_denied_within_timeout),
        JIT_TEST(slow_allow_within_deadline_succeeds),
        JIT_TEST(slow_allow_past_total_deadline_is_denied),
        JIT_TEST(missing_socket_is_denied_fast),
        JIT_TEST(regular_file_at_socket_path_is_denied),
        JIT_TEST(stale_socket_without_listener_is_denied_fast),
        JIT_TEST(symlink_to_live_socket_is_denied),
        JIT_TEST(server_uid_mismatch_is_denied_without_connecting),
        JIT_TEST(socket_owned_by_untrusted_uid_is_denied),
        JIT_TEST(untrusted_peer_behind_trusted_socket_is_denied),
    };
    int failed = cmocka_run_group_tests_name("pam_jit transport", tests, NULL, NULL);
    harness_finish();
    return failed;
}
