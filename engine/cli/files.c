/* files.c - writing files whole: a temporary name, then a rename. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

/* Writes text into what path names when that is not a file to replace: a
 * device (/dev/full, /dev/null) or a FIFO. O_NOFOLLOW: a symlink planted at
 * the name is never written through. O_NONBLOCK only for the open, so that
 * a FIFO nobody reads fails at once (ENXIO) instead of waiting. */
static int write_in_place(const char *path, const char *text, size_t len)
{
    int fd = open(path, O_WRONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    if (rc == 0) rc = cli_write_all(fd, text, len);
    int saved = errno;
    if (close(fd) != 0 && rc == 0) rc = -1, saved = errno;
    errno = saved;
    return rc;
}

/* The descriptor /dev/stdout, /dev/stderr or /dev/fd/N names, or -1. */
static int stream_named(const char *path)
{
    if (strcmp(path, "/dev/stdout") == 0) return STDOUT_FILENO;
    if (strcmp(path, "/dev/stderr") == 0) return STDERR_FILENO;
    if (strncmp(path, "/dev/fd/", 8) != 0 || !isdigit((unsigned char)path[8])) return -1;
    char *end;
    long fd = strtol(path + 8, &end, 10);
    return *end == '\0' && fd <= INT_MAX ? (int)fd : -1;
}

int cli_replace_file(const char *path, const char *text, size_t len, unsigned flags)
{
    /* Renaming over a device or a FIFO would put a file in its place (as
     * root, in /dev): those are written to instead, and a stream named by
     * its /dev name is written to where it goes. */
    struct stat st;
    int fd = flags & CLI_FILE_PRIVATE ? -1 : stream_named(path);
    if (fd >= 0) return cli_write_all(fd, text, len);
    if (lstat(path, &st) == 0 &&
        (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode)))
        return write_in_place(path, text, len);
    static unsigned serial; /* with the pid, a name no other writer uses */
    size_t n = strlen(path) + 48;
    char tmp[n];
    fd = -1;
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
