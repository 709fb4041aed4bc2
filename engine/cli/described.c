/* described.c - reading the layer-cake testing clients' flag values. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "described.h"
#include "options.h"
#include "throng.h"

/* The text after "key": in a small JSON object, past blanks and the colon. */
static const char *json_value(const char *text, const char *key)
{
    char quoted[32];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *p = strstr(text, quoted);
    if (!p) return NULL;
    p += strlen(quoted);
    while (isspace((unsigned char)*p))
        p++;
    if (*p++ != ':') return NULL;
    while (isspace((unsigned char)*p))
        p++;
    return p;
}

int cli_described_address(const char *text, char *out, size_t len)
{
    const char *t = text;
    while (isspace((unsigned char)*t))
        t++;
    if (*t != '{') {
        if (!*t || strlen(t) >= len) return -1;
        snprintf(out, len, "%s", t);
        return 0;
    }
    const char *host = json_value(t, "host"), *port = json_value(t, "port");
    if (!host || !port || *host != '"') return -1;
    const char *end = strchr(host + 1, '"');
    char *pend;
    long p = strtol(port, &pend, 10);
    if (!end || pend == port || p < 0 || p > 65535) return -1;
    int hlen = (int)(end - host - 1);
    int n = snprintf(
        out, len, strchr(host + 1, ':') && strchr(host + 1, ':') < end ? "[%.*s]:%ld" : "%.*s:%ld",
        hlen, host + 1, p);
    return n > 0 && (size_t)n < len ? 0 : -1;
}

int cli_described_level(const char *text)
{
    static const struct {
        const char *name;
        int level;
    } names[] = {
        {"debug", THRONG_LOG_DEBUG},  {"trace", THRONG_LOG_TRACE},  {"info", THRONG_LOG_INFO},
        {"console", THRONG_LOG_INFO}, {"warning", THRONG_LOG_WARN}, {"warn", THRONG_LOG_WARN},
        {"error", THRONG_LOG_ERROR},  {"fault", THRONG_LOG_ERROR},
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcasecmp(text, names[i].name) == 0) return names[i].level;
    return -1;
}

const char *cli_described_client_type(const char *text)
{
    /* connect_and_request.ConnectAndRequest and its not_threaded,
     * named_thread and state_machine variants all speak the table protocol;
     * the custom clients are the bundled personas of the same names. */
    static const struct {
        const char *prefix, *persona;
    } known[] = {
        {"connect_and_request", "table"}, {"watch_dog", "watchdog"}, {"watchdog", "watchdog"},
        {"typical_user", "typical"},      {"expert_user", "expert"}, {"admin", "admin"},
        {"administrator", "admin"},
    };
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        size_t n = strlen(known[i].prefix);
        if (!strncmp(text, known[i].prefix, n) && (text[n] == '.' || text[n] == '_' || !text[n]))
            return known[i].persona;
    }
    if (cli_looks_like_path(text)) return text;
    if (strchr(text, '.')) return NULL; /* another Python class */
    return text;
}
