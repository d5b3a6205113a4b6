// Fake jitd servers for the module tests.  A fake server is a forked child
// that accepts on a Unix socket, reads the request, records what it saw in
// memory shared with the test process, and answers the way the test told it
// to (a reply function).  The listening socket is created in the parent before
// the fork, so the server is ready the moment server_start returns.
#pragma once

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

// What the server saw; lives in MAP_SHARED memory so the parent can read it.
struct server_log {
    int connections;           // connections accepted
    int requests;              // connections on which at least one byte arrived
    int finished;              // connections answered (or not) and closed
    struct seen_request last;  // the latest request, decoded
};

// How a fake server answers one connection.  Runs in the child; may block,
// sleep or write anything.  The connection is closed after it returns.
typedef void (*reply_fn)(int conn, const struct seen_request* req);

struct fake_server {
    pid_t pid;
    int listen_fd;  // the parent's copy, kept to detect pending connections
    struct server_log* log;
};

static inline void fake_send(int fd, const void* bytes, size_t len) {
    const uint8_t* p = (const uint8_t*)bytes;
    while (len > 0) {
        ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;  // the module hung up; nothing more to do
        p += w;
        len -= (size_t)w;
    }
}

static inline void sleep_ms(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

// Reads exactly len bytes; returns how many arrived before EOF or an error.
static inline size_t fake_recv(int fd, uint8_t* p, size_t len) {
    size_t got = 0;
    while (got < len) {
        ssize_t r = recv(fd, p + got, len - got, 0);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    return got;
}

// Reads one request frame; returns the number of bytes received (0: the
// client closed without sending anything).
static inline size_t fake_read_request(int conn, struct seen_request* req) {
    static uint8_t buf[FRAME_HEADER_SIZE + FRAME_MAX_BODY];
    memset(req, 0, sizeof *req);
    size_t got = fake_recv(conn, buf, FRAME_HEADER_SIZE);
    if (got < FRAME_HEADER_SIZE) {
        req->error = "connection closed inside the header";
        return got;
    }
    uint32_t body_len = le_get32(buf + 12);
    if (body_len > sizeof buf - FRAME_HEADER_SIZE) {
        req->error = "request body larger than any frame";
        return got;
    }
    size_t body = fake_recv(conn, buf + FRAME_HEADER_SIZE, body_len);
    if (body < body_len) {
        req->error = "connection closed inside the body";
        return got + body;
    }
    seen_decode(req, buf, FRAME_HEADER_SIZE + body_len);
    return got + body;
}

static inline void fake_serve_forever(int listen_fd, struct server_log* log, reply_fn reply) {
    signal(SIGPIPE, SIG_IGN);
    for (;;) {
        int conn = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (conn < 0) {
            if (errno == EINTR) continue;
            _exit(2);
        }
        __atomic_add_fetch(&log->connections, 1, __ATOMIC_SEQ_CST);
        struct seen_request req;
        if (fake_read_request(conn, &req) > 0) {
            log->last = req;
            __atomic_add_fetch(&log->requests, 1, __ATOMIC_SEQ_CST);
            reply(conn, &req);
        }
        close(conn);
        __atomic_add_fetch(&log->finished, 1, __ATOMIC_SEQ_CST);
    }
}

// Binds path and forks the server.  Returns 0, or -1 with a message printed.
static inline int server_start_backlog(struct fake_server* s, const char* path, reply_fn reply,
                                       int backlog) {
    memset(s, 0, sizeof *s);
    s->pid = -1;
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
    unlink(path);
    if (s->listen_fd < 0 || bind(s->listen_fd, (struct sockaddr*)&addr, sizeof addr) != 0 ||
        listen(s->listen_fd, backlog) != 0) {
        fprintf(stderr, "fake server: cannot listen on %s: %s\n", path, strerror(errno));
        return -1;
    }
    s->log = (struct server_log*)mmap(NULL, sizeof *s->log, PROT_READ | PROT_WRITE,
                                      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (s->log == MAP_FAILED) {
        s->log = NULL;
        return -1;
    }
    pid_t parent = getpid();
    s->pid = fork();
    if (s->pid < 0) return -1;
    if (s->pid == 0) {
        // Die with the test process, even if it crashes before teardown.
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) _exit(0);
        // _exit only: exit() would run the test process's destructors
        // (pam_wrapper's among them) in the child.
        fake_serve_forever(s->listen_fd, s->log, reply);
        _exit(0);
    }
    return 0;
}

static inline int server_start(struct fake_server* s, const char* path, reply_fn reply) {
    return server_start_backlog(s, path, reply, 16);
}

static inline int server_connections(const struct fake_server* s) {
    return __atomic_load_n(&s->log->connections, __ATOMIC_SEQ_CST);
}

static inline int server_requests(const struct fake_server* s) {
    return __atomic_load_n(&s->log->requests, __ATOMIC_SEQ_CST);
}

// Waits up to timeout_ms until the server has closed n connections.
static inline int server_wait_finished(const struct fake_server* s, int n, int timeout_ms) {
    for (int waited = 0; waited < timeout_ms; waited += 5) {
        if (__atomic_load_n(&s->log->finished, __ATOMIC_SEQ_CST) >= n) return 1;
        sleep_ms(5);
    }
    return 0;
}

// True when a client has connected but the server has not accepted it yet.
static inline int server_has_pending_connection(const struct fake_server* s) {
    struct pollfd p = {s->listen_fd, POLLIN, 0};
    return poll(&p, 1, 0) > 0;
}

// Freezes the server process (SIGSTOP) and waits until it is stopped.
static inline int server_freeze(struct fake_server* s) {
    int status = 0;
    if (kill(s->pid, SIGSTOP) != 0) return -1;
    if (waitpid(s->pid, &status, WUNTRACED) != s->pid || !WIFSTOPPED(status)) return -1;
    return 0;
}

// Kills the server and closes every listening copy, but leaves the socket
// file behind: a stale socket nobody listens on.
static inline void server_kill(struct fake_server* s) {
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        waitpid(s->pid, NULL, 0);
        s->pid = -1;
    }
    if (s->listen_fd >= 0) close(s->listen_fd);
    s->listen_fd = -1;
}

// Teardown: kill, reap, unmap.  Safe on a server that never started.
static inline void server_stop(struct fake_server* s) {
    server_kill(s);
    if (s->log) munmap(s->log, sizeof *s->log);
    s->log = NULL;
}

// ---- reply building blocks ----
enum { NO_NOT_AFTER = 0 };
#define GRANT_ID "g-ab12cd34"  // "g-" and 8 id characters, as protocol.h requires

static inline void send_frame(int conn, struct frame* f) {
    fake_send(conn, f->bytes, frame_finish(f));
}

// A CHECK_REPLY; grant_id NULL or not_after NO_NOT_AFTER leave that field out.
static inline void send_check_reply(int conn, uint32_t request_id, uint64_t decision,
                                    const char* grant_id, int64_t not_after) {
    static struct frame f;
    frame_begin(&f, MSG_CHECK_REPLY, request_id);
    frame_u64(&f, TAG_DECISION, decision);
    frame_string(&f, TAG_REASON, "fake server");
    if (grant_id) frame_string(&f, TAG_GRANT_ID, grant_id);
    if (not_after != NO_NOT_AFTER) frame_i64(&f, TAG_NOT_AFTER, not_after);
    send_frame(conn, &f);
}

static inline void reply_allow(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_ALLOW, GRANT_ID, time(NULL) + 3600);
}

static inline void reply_deny(int conn, const struct seen_request* req) {
    send_check_reply(conn, req->request_id, DECISION_DENY, NULL, NO_NOT_AFTER);
}

// Reads the request and then holds the connection open without a word.
static inline void reply_never(int conn, const struct seen_request* req) {
    (void)conn;
    (void)req;
    for (;;) pause();
}
