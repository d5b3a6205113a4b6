/* An unprivileged peer trying to jam jitd's public socket, for the flood
 * test: it keeps up to HOLD connections open, each having sent one byte of a
 * frame header, reopening those jitd closes; and SLOW connections that dribble
 * a header one byte at a time (slowloris).  Runs for SECONDS, then prints what
 * it managed:  flood SOCKET HOLD SLOW SECONDS */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static struct sockaddr_un addr;

static long long now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A connected socket that has sent `first` bytes of a header, or -1. */
static int open_one(int first) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return -1;
    if (connect(fd, (struct sockaddr*)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    static const unsigned char magic[1] = {'J'};
    if (first && send(fd, magic, 1, MSG_NOSIGNAL) != 1) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Still open from jitd's side: no EOF or error waiting. */
static int alive(int fd) {
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) <= 0) return 1;
    char b;
    return recv(fd, &b, 1, MSG_DONTWAIT) > 0;
}

int main(int argc, char** argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: flood SOCKET HOLD SLOW SECONDS\n");
        return 2;
    }
    int hold = atoi(argv[2]), slow = atoi(argv[3]), seconds = atoi(argv[4]);
    addr.sun_family = AF_UNIX;
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", argv[1]);
    int total = hold + slow;
    int* fds = calloc((size_t)total, sizeof(int));
    if (!fds) return 1;
    for (int i = 0; i < total; ++i) fds[i] = -1;
    long long end = now_ms() + seconds * 1000LL, opened = 0, reopened = 0, max_open = 0;
    long long next_drip = 0;
    while (now_ms() < end) {
        int open_now = 0;
        for (int i = 0; i < total; ++i) {
            if (fds[i] >= 0 && !alive(fds[i])) {
                close(fds[i]);
                fds[i] = -1;
                ++reopened;
            }
            if (fds[i] < 0 && (fds[i] = open_one(1)) >= 0) ++opened;
            if (fds[i] >= 0) ++open_now;
        }
        if (open_now > max_open) max_open = open_now;
        /* The slow ones send one more byte of nothing useful every 200 ms. */
        if (now_ms() >= next_drip) {
            for (int i = hold; i < total; ++i)
                if (fds[i] >= 0) send(fds[i], "I", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            next_drip = now_ms() + 200;
        }
        poll(NULL, 0, 20);
    }
    printf("opened=%lld reopened_after_close=%lld max_open=%lld\n", opened, reopened, max_open);
    return 0;
}
