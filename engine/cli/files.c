/* files.c - writing files whole: a temporary name, then a rename. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "files.h"

int cli_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return -1;
        if (n == 0) { /* no progress and no error: call it what it is */
            errno = ENOSPC;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int cli_open_private(const char *path, int flags)
{
    return open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
}

int cli_replace_file(const char *path, const char *text, size_t len, unsigned flags)
{
    static unsigned serial; /* with the pid, a name no other writer uses */
    size_t n = strlen(path) + 48;
    char tmp[n];
    int fd = -1;
    mode_t mode = flags & CLI_FILE_PRIVATE ? 0600 : 0666; /* less the umask */
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(tmp, n, "%s.%ld-%u.new", path, (long)getpid(), serial++);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST) return -1;
    }
    if (fd < 0) return -1;
    int rc = cli_write_all(fd, text, len);
    if (rc == 0 && (flags & CLI_FILE_DURABLE)) rc = fsync(fd);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) rc = -1, saved = errno;
    /* rename() replaces a symlink at path; it never writes through one. */
    if (rc == 0 && rename(tmp, path) != 0) rc = -1, saved = errno;
    if (rc != 0) {
        unlink(tmp);
        errno = saved;
    }
    return rc;
}
