/* home.c - the home's folders and files. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "home.h"

int home_locate(home_t *h, const char *dir)
{
    if (!dir) dir = ".throng";
    if (dir[0] == '/') {
        snprintf(h->dir, sizeof h->dir, "%s", dir);
        return 0;
    }
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return -1;
    int n = snprintf(h->dir, sizeof h->dir, "%s/%s", cwd, dir);
    return n > 0 && (size_t)n < sizeof h->dir ? 0 : -1;
}

const char *home_path(const home_t *h, char *buf, size_t len, const char *fmt, ...)
{
    int n = snprintf(buf, len, "%s/", h->dir);
    va_list ap;
    va_start(ap, fmt);
    if (n > 0 && (size_t)n < len) vsnprintf(buf + n, len - (size_t)n, fmt, ap);
    va_end(ap);
    return buf;
}

int home_exists(const home_t *h)
{
    char p[PATH_MAX];
    struct stat st;
    return stat(home_path(h, p, sizeof p, "groups"), &st) == 0 && S_ISDIR(st.st_mode);
}

int home_create(const home_t *h)
{
    static const char *const parts[] = {"groups", "logs", "state"};
    /* Owner-only from the start: no window where others could look in. */
    mode_t old = umask(077);
    int rc = 0;
    if (mkdir(h->dir, 0700) != 0) {
        fprintf(stderr, "throng create: %s: %s\n", h->dir,
                errno == EEXIST ? "a home is there already" : strerror(errno));
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < sizeof parts / sizeof parts[0]; i++) {
        char p[PATH_MAX];
        if (mkdir(home_path(h, p, sizeof p, "%s", parts[i]), 0700) != 0) {
            fprintf(stderr, "throng create: %s: %s\n", p, strerror(errno));
            rc = -1;
        }
    }
    umask(old);
    return rc;
}

int home_valid_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= HOME_NAME_MAX || name[0] == '-') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(a, b);
}

int home_groups(const home_t *h, char names[][HOME_NAME_MAX])
{
    char p[PATH_MAX];
    DIR *d = opendir(home_path(h, p, sizeof p, "groups"));
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL && n < HOME_GROUPS_MAX)
        if (strlen(e->d_name) < HOME_NAME_MAX && home_valid_name(e->d_name))
            memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);
    if (d) closedir(d);
    qsort(names, (size_t)n, HOME_NAME_MAX, by_name);
    return n;
}

FILE *home_fopen_read(const char *path)
{
    int fd = cli_open_private(path, O_RDONLY);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (fd >= 0 && !f) close(fd);
    return f;
}

int home_read_group(const home_t *h, const char *name, char **tokens, int cap)
{
    char p[PATH_MAX], line[4096];
    FILE *f = home_fopen_read(home_path(h, p, sizeof p, "groups/%s", name));
    if (!f) return -1;
    int n = 0;
    while (n < cap && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!(tokens[n] = strdup(line))) break;
        n++;
    }
    fclose(f);
    return n;
}

int home_write_group(const home_t *h, const char *name, char *const *tokens, int n)
{
    char p[PATH_MAX];
    size_t len = 0, at = 0;
    for (int i = 0; i < n; i++)
        len += strlen(tokens[i]) + 1;
    char *text = malloc(len + 1);
    int rc = -1;
    if (!text) {
        errno = ENOMEM;
    } else {
        for (int i = 0; i < n; i++)
            at += (size_t)sprintf(text + at, "%s\n", tokens[i]);
        rc = cli_replace_file(home_path(h, p, sizeof p, "groups/%s", name), text, at,
                              CLI_FILE_PRIVATE | CLI_FILE_DURABLE);
    }
    if (rc != 0) fprintf(stderr, "throng: cannot write %s: %s\n", p, strerror(errno));
    free(text);
    return rc;
}

void home_free_tokens(char **tokens, int n)
{
    for (int i = 0; i < n; i++)
        free(tokens[i]);
}

int home_lock_open(const home_t *h)
{
    char p[PATH_MAX];
    return cli_open_private(home_path(h, p, sizeof p, "supervisor.lock"), O_RDWR | O_CREAT);
}

/* An open file description lock (F_OFD_*): held by the open file, shared
 * by every process that inherited it across fork, dropped by the kernel
 * when the last of them ends; and, unlike flock(), it can be tested
 * without being taken, so a look never gets in a starting supervisor's way. */
int home_lock_take(int fd)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    return fcntl(fd, F_OFD_SETLK, &fl);
}

pid_t home_supervisor(const home_t *h)
{
    char p[PATH_MAX];
    int fd = cli_open_private(home_path(h, p, sizeof p, "supervisor.lock"), O_RDWR);
    if (fd < 0) return 0;
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
    int rc = fcntl(fd, F_OFD_GETLK, &fl);
    /* The lock, not the pid file, says whether a supervisor runs: it is
     * taken by `throng start` before anything else and kept by the
     * supervisor for its whole life. A pid file without it is stale; it is
     * read only while the lock is held, and the next start removes it. A
     * look only tests the lock, never takes it: a start given at the same
     * moment would find it held and say a supervisor is starting. */
    close(fd);
    if (rc != 0 || fl.l_type == F_UNLCK) return 0;
    FILE *f = home_fopen_read(home_path(h, p, sizeof p, "supervisor.pid"));
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    return pid > 0 && kill((pid_t)pid, 0) == 0 ? (pid_t)pid : HOME_STARTING;
}
