/* url_mode.c - checking `throng run URL`'s flags before anything runs, so
 * that a wrong URL, list line, body file or regular expression is refused
 * with exit status 2 and a line naming it, and turning them into the url
 * persona's arguments (lua/throng/personas/url.lua reads them). */
#include <ctype.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "throng.h"
#include "url_mode.h"

const char *const cli_url_pick_choices[] = {"round-robin", "random", NULL};

int cli_url_is_url(const char *text)
{
    const char *sep = strstr(text, "://");
    if (!sep || sep == text) return 0;
    for (const char *c = text; c < sep; c++)
        if (!isalnum((unsigned char)*c) && *c != '+' && *c != '-' && *c != '.') return 0;
    return 1;
}

int cli_url_has_path(const char *text)
{
    throng_url_t u;
    if (throng_parse_url(text, &u, NULL, 0) != 0) return 0;
    return u.path_len > 1 || (u.path_len == 1 && u.path[0] != '/');
}

int cli_url_flags_given(const cli_url_flags_t *u)
{
    return u->method || u->body || u->body_file || u->content_type || u->urls_file ||
           u->expect_status || u->expect_body || u->pick || u->headers.n;
}

static int complain(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int complain(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return -1;
}

/* Appends "key=value" (value len bytes) to out. */
static int add_arg(const char *cmd, cli_url_args_t *out, const char *key, const char *value,
                   size_t len)
{
    if (out->n == CLI_URL_ARGS_MAX) return complain(cmd, "too many URL arguments");
    size_t klen = strlen(key);
    char *s = malloc(klen + len + 2);
    if (!s) return complain(cmd, "out of memory");
    memcpy(s, key, klen);
    s[klen] = '=';
    memcpy(s + klen + 1, value, len);
    s[klen + 1 + len] = '\0';
    out->items[out->n++] = s;
    return 0;
}

static int add_text(const char *cmd, cli_url_args_t *out, const char *key, const char *value)
{
    return value ? add_arg(cmd, out, key, value, strlen(value)) : 0;
}

static int readable(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fclose(f);
    return 1;
}

/* The server of url, checked against the one before it (origin, "" at
 * first). where names the URL in messages. */
static int check_url(const char *cmd, const char *where, const char *url, char *origin, size_t cap)
{
    throng_url_t u;
    char err[512];
    if (throng_parse_url(url, &u, err, sizeof err) != 0) return complain(cmd, "%s%s", where, err);
    if (!*origin) {
        snprintf(origin, cap, "%s", u.origin);
    } else if (strcmp(origin, u.origin) != 0) {
        return complain(cmd, "%s'%s' is not on %s, as the URLs before it: a list loads one server",
                        where, url, origin);
    }
    return 0;
}

/* One line of a URL list: [METHOD] URL [@BODYFILE]. folder is the list's. */
static int check_line(const char *cmd, const char *where, char *line, const char *folder,
                      char *origin, size_t cap)
{
    char *words[4] = {NULL};
    int n = 0;
    for (char *w = strtok(line, " \t"); w && n < 4; w = strtok(NULL, " \t"))
        words[n++] = w;
    if (n == 0) return complain(cmd, "%san empty line", where);
    int i = strpbrk(words[0], ":/") ? 0 : 1; /* a first word without ':' or '/' is a method */
    if (i == 1 && n == 1) return complain(cmd, "%sa method without a URL", where);
    if (n > i + 2 || (n == i + 2 && words[i + 1][0] != '@'))
        return complain(cmd, "%sexpected [METHOD] URL [@BODYFILE]", where);
    if (check_url(cmd, where, words[i], origin, cap) != 0) return -1;
    if (n == i + 2) {
        const char *file = words[i + 1] + 1;
        char path[4096];
        snprintf(path, sizeof path, "%s%s", file[0] == '/' ? "" : folder, file);
        if (!*file || !readable(path))
            return complain(cmd, "%scannot read the body file '%s'", where, path);
    }
    return 0;
}

/* Every line of the URL list at path; origin gets their one server. */
static int check_list(const char *cmd, const char *path, char *origin, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return complain(cmd, "--urls: cannot read '%s'", path);
    char folder[4096] = "";
    const char *slash = strrchr(path, '/');
    if (slash) snprintf(folder, sizeof folder, "%.*s", (int)(slash - path + 1), path);
    char line[8192], where[4200];
    int rc = 0, lineno = 0, urls = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        lineno++;
        line[strcspn(line, "\r\n")] = '\0';
        const char *s = line + strspn(line, " \t");
        if (!*s || *s == '#') continue;
        snprintf(where, sizeof where, "%s:%d: ", path, lineno);
        rc = check_line(cmd, where, line, folder, origin, cap);
        urls++;
    }
    fclose(f);
    if (rc == 0 && urls == 0) rc = complain(cmd, "--urls: '%s' holds no URL", path);
    return rc;
}

/* --header values joined by newlines: the persona's headers argument. */
static int add_headers(const char *cmd, const cli_url_flags_t *u, cli_url_args_t *out)
{
    size_t len = 0;
    for (size_t i = 0; i < u->headers.n; i++) {
        const char *h = u->headers.items[i];
        if (strchr(h, '\n') || strchr(h, '\r'))
            return complain(cmd, "--header '%s' holds a line break", h);
        const char *colon = strchr(h, ':');
        if (!colon || colon == h)
            return complain(cmd, "--header '%s' is not of the form 'Name: value'", h);
        len += strlen(h) + 1;
    }
    if (!len) return 0;
    char *joined = malloc(len), *p = joined;
    if (!joined) return complain(cmd, "out of memory");
    for (size_t i = 0; i < u->headers.n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", u->headers.items[i]);
    int rc = add_arg(cmd, out, "headers", joined, (size_t)(p - joined));
    free(joined);
    return rc;
}

int cli_url_settle(const char *cmd, const char *url, const cli_url_flags_t *u, cli_url_args_t *out)
{
    memset(out, 0, sizeof *out);
    if (url && u->urls_file)
        return complain(cmd, "give a URL or --urls FILE, not both ('%s')", url);
    if (u->body && u->body_file) return complain(cmd, "give --body or --body-file, not both");
    if (url ? check_url(cmd, "", url, out->origin, sizeof out->origin)
            : check_list(cmd, u->urls_file, out->origin, sizeof out->origin))
        return -1;
    if (u->body_file && !readable(u->body_file))
        return complain(cmd, "--body-file: cannot read '%s'", u->body_file);
    if (u->expect_body) {
        regex_t re;
        int rc = regcomp(&re, u->expect_body, REG_EXTENDED);
        if (rc != 0) {
            char why[256];
            regerror(rc, &re, why, sizeof why);
            return complain(cmd, "--expect-body '%s' is not a regular expression: %s",
                            u->expect_body, why);
        }
        regfree(&re);
    }
    if (add_text(cmd, out, url ? "url" : "urls", url ? url : u->urls_file) ||
        add_text(cmd, out, "method", u->method) || add_headers(cmd, u, out) ||
        add_text(cmd, out, "body", u->body) || add_text(cmd, out, "body_file", u->body_file) ||
        add_text(cmd, out, "content_type", u->content_type) ||
        (u->pick && add_text(cmd, out, "pick", cli_url_pick_choices[u->pick])) ||
        add_text(cmd, out, "expect_status", u->expect_status) ||
        add_text(cmd, out, "expect_body", u->expect_body)) {
        cli_url_args_free(out);
        return -1;
    }
    return 0;
}

void cli_url_args_free(cli_url_args_t *out)
{
    for (size_t i = 0; i < out->n; i++)
        free(out->items[i]);
    out->n = 0;
}
