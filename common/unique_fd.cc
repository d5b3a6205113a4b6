#include "jit/unique_fd.h"

#include <errno.h>
#include <fcntl.h>

namespace jit {

int move_above_stdio(int fd) {
    if (fd < 0 || fd > 2) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int saved = errno;
    ::close(fd);
    errno = saved;
    return moved;
}

}  // namespace jit
