/* files.h - how the throng command writes its files: whole or not at all.
 * A file is written to a temporary name beside it and renamed into place
 * only once every byte is written, so a full disk or a crash leaves the
 * old file (or none), never half of a new one. */
#ifndef THRONG_CLI_FILES_H
#define THRONG_CLI_FILES_H

#include <stddef.h>
#include <sys/types.h>

/* For files in the home: a symlink at the name is refused, not followed,
 * and the file is the owner's alone. */
#define CLI_FILE_PRIVATE 1
/* Flushed to the disk before the rename (reports; not the every-second status). */
#define CLI_FILE_DURABLE 2

/* Writes len bytes of text to path as said above. 0, or -1 with errno set
 * and the temporary file removed. A device or a FIFO at path is written to
 * in place, never replaced; without CLI_FILE_PRIVATE, /dev/stdout,
 * /dev/stderr and /dev/fd/N are written to the descriptor they name. */
int cli_replace_file(const char *path, const char *text, size_t len, unsigned flags);

/* open() for a file in the home: O_NOFOLLOW, O_CLOEXEC, mode 0600. */
int cli_open_private(const char *path, int flags);

/* Writes all of buf to fd, going on after EINTR and short writes. */
int cli_write_all(int fd, const char *buf, size_t len);

#endif
