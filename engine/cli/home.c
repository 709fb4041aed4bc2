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
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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

int home_read_group(const home_t *h, const char *name, char **tokens, int cap)
{
    char p[PATH_MAX], line[4096];
    FILE *f = fopen(home_path(h, p, sizeof p, "groups/%s", name), "r");
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
    char p[PATH_MAX], tmp[PATH_MAX + 8];
    home_path(h, p, sizeof p, "groups/%s", name);
    snprintf(tmp, sizeof tmp, "%s.new", p);
    FILE *f = fopen(tmp, "w");
    int ok = f != NULL;
    for (int i = 0; ok && i < n; i++)
        ok = fprintf(f, "%s\n", tokens[i]) >= 0;
    if (f) ok &= fclose(f) == 0;
    if (ok) ok = rename(tmp, p) == 0;
    if (!ok) fprintf(stderr, "throng: cannot write %s: %s\n", p, strerror(errno));
    return ok ? 0 : -1;
}

void home_free_tokens(char **tokens, int n)
{
    for (int i = 0; i < n; i++)
        free(tokens[i]);
}

pid_t home_supervisor(const home_t *h)
{
    char p[PATH_MAX], lockp[PATH_MAX];
    /* The lock, not the pid file, says whether a supervisor runs: a
     * supervisor holds it for its whole life, and the kernel drops it when
     * the process ends, however it ends. */
    int fd = open(home_path(h, lockp, sizeof lockp, "supervisor.lock"), O_RDWR | O_CLOEXEC);
    if (fd < 0) return 0;
    int held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    close(fd); /* releases the lock if this call took it */
    home_path(h, p, sizeof p, "supervisor.pid");
    if (!held) {
        unlink(p); /* stale: its supervisor is gone */
        return 0;
    }
    FILE *f = fopen(p, "r");
    long pid = 0;
    if (f) {
        if (fscanf(f, "%ld", &pid) != 1) pid = 0;
        fclose(f);
    }
    return pid > 0 && kill((pid_t)pid, 0) == 0 ? (pid_t)pid : 0;
}
