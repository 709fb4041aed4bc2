/* url_mode.h - `throng run URL`: the flags that load a URL as it is
 * (--method, --header, --body, --urls, --expect-status, ...) checked and
 * turned into the built-in url persona's arguments and the group's server. */
#ifndef THRONG_CLI_URL_MODE_H
#define THRONG_CLI_URL_MODE_H

#include <stddef.h>

#include "options.h"

/* What the URL flags say (strings point into argv). */
typedef struct cli_url_flags {
    const char *method, *body, *body_file, *content_type;
    const char *urls_file, *expect_status, *expect_body;
    int pick; /* index in cli_url_pick_choices */
    cli_list_t headers;
} cli_url_flags_t;

extern const char *const cli_url_pick_choices[]; /* "round-robin", "random" */

#define CLI_URL_ARGS_MAX 12

/* The url persona's arguments, "key=value" each, owned (cli_url_args_free). */
typedef struct cli_url_args {
    char *items[CLI_URL_ARGS_MAX];
    size_t n;
    char origin[320]; /* the server: "http://host:port" */
} cli_url_args_t;

/* 1 when text is a URL (it names its scheme, as http://...). */
int cli_url_is_url(const char *text);

/* 1 when text is a URL with a path or query beyond "/": a server address
 * cannot take it, the url persona can. */
int cli_url_has_path(const char *text);

/* 1 when any URL flag was given. */
int cli_url_flags_given(const cli_url_flags_t *u);

/* Checks the URL (or u->urls_file, with url NULL: every line, one server
 * for all, body files readable), the body file and the regular expression,
 * and fills out. Returns 0, or -1 after printing why, prefixed with cmd. */
int cli_url_settle(const char *cmd, const char *url, const cli_url_flags_t *u, cli_url_args_t *out);

void cli_url_args_free(cli_url_args_t *out);

#endif
