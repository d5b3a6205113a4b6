// pam_jit.so as a guest in someone else's process: it leaves no descriptor
// behind on any path, works when the host closed stdin/stdout/stderr without
// ever putting its socket there, and survives a storm of signals.
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "pam_harness.h"

#define QUICK_MIN_MS 250

static const struct service_def services[] = {
    {"patient", STACK_PROBE, "socket={sock} server_uid={uid} timeout_ms=3000 managed_users=deploy"},
    {"quick", STACK_PROBE, "socket={sock} server_uid={uid} timeout_ms=300 managed_users=deploy"},
    {"stormy", STACK_PROBE, "socket={sock} server_uid={uid} timeout_ms=10000 managed_users=deploy"},
    {"bad-args", STACK_PROBE, "socket={sock} server_uid={uid} managed_users=deploy bogus"},
};

static void reply_garbage(int conn, const struct seen_request* req) {
    (void)req;
    fake_send(conn, "not a frame, not at all", 23);
}

static void reply_allow_after_200ms(int conn, const struct seen_request* req) {
    sleep_ms(200);
    reply_allow(conn, req);
}

static void assert_no_fd_left(struct call_result r, int expected_rc) {
    assert_pam_rc(expected_rc, r.module_rc);
    if (r.fds_after != r.fds_before)
        fail_msg("%d descriptors open before pam_acct_mgmt, %d after", r.fds_before, r.fds_after);
}

// ---- no descriptor outlives a call, whatever the outcome ----
static void no_fd_left_after_allow(void** state) {
    serve(state, reply_allow);
    assert_no_fd_left(account("patient", MANAGED_USER), PAM_SUCCESS);
}
static void no_fd_left_after_deny(void** state) {
    serve(state, reply_deny);
    assert_no_fd_left(account("patient", MANAGED_USER), PAM_PERM_DENIED);
}
static void no_fd_left_after_protocol_error(void** state) {
    serve(state, reply_garbage);
    assert_no_fd_left(account("patient", MANAGED_USER), PAM_PERM_DENIED);
}
static void no_fd_left_after_timeout(void** state) {
    serve(state, reply_never);
    assert_no_fd_left(account("quick", MANAGED_USER), PAM_PERM_DENIED);
}
static void no_fd_left_after_refused_connection(void** state) {
    struct fixture* fx = (struct fixture*)*state;
    serve(state, reply_allow);
    server_kill(&fx->server);
    assert_no_fd_left(account("patient", MANAGED_USER), PAM_PERM_DENIED);
}
static void no_fd_left_when_socket_missing(void** state) {
    (void)state;
    assert_no_fd_left(account("patient", MANAGED_USER), PAM_PERM_DENIED);
}
static void no_fd_left_for_unmanaged_user(void** state) {
    serve(state, reply_allow);
    assert_no_fd_left(account("patient", UNMANAGED_USER), PAM_IGNORE);
}
static void no_fd_left_after_bad_arguments(void** state) {
    (void)state;
    assert_no_fd_left(account("bad-args", MANAGED_USER), PAM_SERVICE_ERR);
}

static void many_calls_keep_the_fd_count_flat(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    int before = count_open_fds();
    for (int i = 0; i < 200; ++i) {
        struct call_result r = account("patient", MANAGED_USER);
        if (r.module_rc != PAM_SUCCESS) fail_msg("call %d: %s", i, pam_code_name(r.module_rc));
    }
    assert_int_equal(count_open_fds(), before);
    assert_int_equal(server_requests(s), 200);
}

// ---- closed standard streams ----
// The before hook closes 0-2 (keeping copies); the after hook records which of
// 0-2 the call left open and puts the streams back.
struct stdio_state {
    int saved[3];
    int open_after[3];
};

static void close_stdio(void* ctx) {
    struct stdio_state* st = (struct stdio_state*)ctx;
    fflush(stdout);
    fflush(stderr);
    for (int fd = 0; fd < 3; ++fd) {
        st->saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 10);
        close(fd);
    }
}

static void restore_stdio(void* ctx) {
    struct stdio_state* st = (struct stdio_state*)ctx;
    for (int fd = 0; fd < 3; ++fd) {
        st->open_after[fd] = fcntl(fd, F_GETFD) != -1;
        dup2(st->saved[fd], fd);
        close(st->saved[fd]);
    }
}

static void call_with_stdio_closed(const char* user, int expected_rc) {
    struct stdio_state st;
    struct call_hooks hooks = {close_stdio, restore_stdio, &st};
    struct call_result r = account_call("patient", user, NULL, &hooks);
    for (int fd = 0; fd < 3; ++fd)
        if (st.saved[fd] < 0) fail_msg("could not save fd %d", fd);
    assert_no_fd_left(r, expected_rc);
    for (int fd = 0; fd < 3; ++fd)
        if (st.open_after[fd]) fail_msg("the call left something open on fd %d", fd);
}

static void closed_stdio_allow_still_succeeds(void** state) {
    struct fake_server* s = serve(state, reply_allow);
    call_with_stdio_closed(MANAGED_USER, PAM_SUCCESS);
    assert_int_equal(server_requests(s), 1);
    assert_true(s->log->last.complete);
}

static void closed_stdio_denial_leaves_stdio_closed(void** state) {
    serve(state, reply_garbage);
    call_with_stdio_closed(MANAGED_USER, PAM_PERM_DENIED);
}

// ---- the socket while the call is in flight ----
// A one-shot SIGALRM fires while the module waits for a slow allow; its
// handler lists /proc/self/fd with raw syscalls (async-signal-safe) and
// records every descriptor that was not open before the call.
static struct {
    unsigned char before[1024];  // 1 for each fd open before the call
    volatile int fired, new_fds, cloexec, sockets, lowest;
} flight;

static void scan_fds(void (*each)(int fd)) {
    int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) return;
    char buf[4096];
    for (long n; (n = getdents64(dir, buf, sizeof buf)) > 0;) {
        for (long off = 0; off < n;) {
            struct dirent64* e = (struct dirent64*)(buf + off);
            off += e->d_reclen;
            if (e->d_name[0] == '.') continue;
            int fd = 0;
            for (const char* p = e->d_name; *p; ++p) fd = fd * 10 + (*p - '0');
            if (fd != dir && fd < 1024) each(fd);
        }
    }
    close(dir);
}

static void mark_open(int fd) {
    flight.before[fd] = 1;
}

static void inspect_new_fd(int fd) {
    if (flight.before[fd]) return;
    struct stat st;
    flight.new_fds++;
    if (fcntl(fd, F_GETFD) & FD_CLOEXEC) flight.cloexec++;
    if (fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode)) flight.sockets++;
    if (fd < flight.lowest) flight.lowest = fd;
}

static void on_alarm(int sig) {
    (void)sig;
    flight.fired = 1;
    scan_fds(inspect_new_fd);
}

struct inspection {
    int close_stdio;
    struct stdio_state stdio;
};

static void arm_inspection(void* ctx) {
    struct inspection* in = (struct inspection*)ctx;
    if (in->close_stdio) close_stdio(&in->stdio);
    memset(flight.before, 0, sizeof flight.before);
    scan_fds(mark_open);
    flight.lowest = 1 << 30;
    struct sigaction sa = {.sa_handler = on_alarm};
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval once = {.it_value = {0, 100 * 1000}};
    setitimer(ITIMER_REAL, &once, NULL);
}

static void disarm_inspection(void* ctx) {
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    signal(SIGALRM, SIG_DFL);
    struct inspection* in = (struct inspection*)ctx;
    if (in->close_stdio) restore_stdio(&in->stdio);
}

static void inspect_call_in_flight(void** state, int with_stdio_closed) {
    serve(state, reply_allow_after_200ms);
    memset((void*)&flight, 0, sizeof flight);
    struct inspection in = {.close_stdio = with_stdio_closed};
    struct call_hooks hooks = {arm_inspection, disarm_inspection, &in};
    struct call_result r = account_call("patient", MANAGED_USER, NULL, &hooks);
    assert_no_fd_left(r, PAM_SUCCESS);
    assert_true(flight.fired);
    assert_int_equal(flight.new_fds, 1);  // just the module's connection
    assert_int_equal(flight.sockets, 1);
    assert_int_equal(flight.cloexec, 1);
    if (flight.lowest < 3) fail_msg("the module's socket was fd %d", flight.lowest);
}

static void in_flight_socket_is_cloexec(void** state) {
    inspect_call_in_flight(state, 0);
}

static void in_flight_socket_stays_off_closed_stdio(void** state) {
    inspect_call_in_flight(state, 1);
}

// ---- signals ----
// The fake server, once it holds the module's request, signals the test
// process (SIGALRM, no SA_RESTART) and waits for the handler to count each
// one before the next: every signal lands while the module waits for the
// reply, none is merged with another, however loaded the machine is.  The
// count lives in memory shared with the server.
#define STORM_SIGNALS 40
#define STORM_CAP_MS 10000  // the server stops signalling after this anyway

static struct storm {
    int ticks;    // signals the handler counted
    int hung_up;  // the server saw the module close the connection
} * storm;

static void on_tick(int sig) {
    (void)sig;
    __atomic_add_fetch(&storm->ticks, 1, __ATOMIC_SEQ_CST);
}

static int module_hung_up(int conn) {
    struct pollfd p = {conn, POLLIN, 0};
    char c;
    return poll(&p, 1, 0) > 0 && recv(conn, &c, 1, MSG_DONTWAIT) <= 0;
}

// Sends one SIGALRM to the test process and waits until it was counted (or
// the module hung up: the test may ignore signals from then on).
static int signal_and_wait(int conn, long long until_ms) {
    int before = __atomic_load_n(&storm->ticks, __ATOMIC_SEQ_CST);
    if (kill(getppid(), SIGALRM) != 0) return 0;
    while (__atomic_load_n(&storm->ticks, __ATOMIC_SEQ_CST) == before) {
        if (now_ms() > until_ms || module_hung_up(conn)) return 0;
        struct timespec pause = {0, 200 * 1000};
        nanosleep(&pause, NULL);
    }
    return 1;
}

// STORM_SIGNALS counted signals, then the allow.
static void reply_allow_after_storm(int conn, const struct seen_request* req) {
    long long until = now_ms() + STORM_CAP_MS;
    for (int i = 0; i < STORM_SIGNALS; ++i)
        if (!signal_and_wait(conn, until)) break;
    reply_allow(conn, req);
}

// Counted signals, one after another, until the module gives up and hangs up.
static void storm_until_hang_up(int conn, const struct seen_request* req) {
    (void)req;
    long long until = now_ms() + STORM_CAP_MS;
    while (now_ms() < until && !module_hung_up(conn))
        if (!signal_and_wait(conn, until)) break;
    storm->hung_up = module_hung_up(conn);
}

static void start_storm(void* ctx) {
    (void)ctx;
    struct sigaction sa = {.sa_handler = on_tick};  // no SA_RESTART
    sigaction(SIGALRM, &sa, NULL);
}
// Ignored, not default, until the server is done: a last signal may still be
// on its way.
static void stop_storm(void* ctx) {
    (void)ctx;
    signal(SIGALRM, SIG_IGN);
}

static void storm_setup(void) {
    if (!storm)
        storm = (struct storm*)mmap(NULL, sizeof *storm, PROT_READ | PROT_WRITE,
                                    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (storm == MAP_FAILED) fail_msg("cannot map the shared counter");
    memset(storm, 0, sizeof *storm);
}

static void storm_done(struct fake_server* s) {
    if (!server_wait_finished(s, 1, STORM_CAP_MS + 2000)) fail_msg("the server did not finish");
    signal(SIGALRM, SIG_DFL);
}

static void signal_storm_does_not_break_an_allow(void** state) {
    storm_setup();
    struct fake_server* s = serve(state, reply_allow_after_storm);
    struct call_hooks hooks = {start_storm, stop_storm, NULL};
    struct call_result r = account_call("stormy", MANAGED_USER, NULL, &hooks);
    storm_done(s);
    assert_pam_rc(PAM_SUCCESS, r.module_rc);
    if (storm->ticks != STORM_SIGNALS)
        fail_msg("%d of %d signals arrived during the call", storm->ticks, STORM_SIGNALS);
}

// A wait that restarted its timeout at each signal would last as long as the
// storm (STORM_CAP_MS); the deadline holds: denied after QUICK_MIN_MS and
// well before the storm would have ended.
static void signal_storm_does_not_stretch_the_deadline(void** state) {
    storm_setup();
    struct fake_server* s = serve(state, storm_until_hang_up);
    struct call_hooks hooks = {start_storm, stop_storm, NULL};
    struct call_result r = account_call("quick", MANAGED_USER, NULL, &hooks);
    storm_done(s);
    assert_pam_rc(PAM_PERM_DENIED, r.module_rc);
    if (r.elapsed_ms < QUICK_MIN_MS || r.elapsed_ms >= STORM_CAP_MS / 4)
        fail_msg("denied after %lld ms", r.elapsed_ms);
    if (!storm->hung_up) fail_msg("the module did not hang up while the storm went on");
    print_message("%d signals during a call denied after %lld ms\n", storm->ticks, r.elapsed_ms);
    if (storm->ticks < 10) fail_msg("only %d signals arrived during the call", storm->ticks);
}

int main(int argc, char** argv) {
    (void)argc;
    harness_boot(argv, services, COUNT_OF(services));
    const struct CMUnitTest tests[] = {
        JIT_TEST(no_fd_left_after_allow),
        JIT_TEST(no_fd_left_after_deny),
        JIT_TEST(no_fd_left_after_protocol_error),
        JIT_TEST(no_fd_left_after_timeout),
        JIT_TEST(no_fd_left_after_refused_connection),
        JIT_TEST(no_fd_left_when_socket_missing),
        JIT_TEST(no_fd_left_for_unmanaged_user),
        JIT_TEST(no_fd_left_after_bad_arguments),
        JIT_TEST(many_calls_keep_the_fd_count_flat),
        JIT_TEST(closed_stdio_allow_still_succeeds),
        JIT_TEST(closed_stdio_denial_leaves_stdio_closed),
        JIT_TEST(in_flight_socket_is_cloexec),
        JIT_TEST(in_flight_socket_stays_off_closed_stdio),
        JIT_TEST(signal_storm_does_not_break_an_allow),
        JIT_TEST(signal_storm_does_not_stretch_the_deadline),
    };
    int failed = cmocka_run_group_tests_name("pam_jit as a guest", tests, NULL, NULL);
    harness_finish();
    return failed;
}
