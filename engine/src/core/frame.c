/* frame.c - the frames of a run's remote parts (see frame.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/frame.h"

/* A frame: its header, then len bytes of payload. */
typedef struct frame_header {
    uint32_t len;
    uint32_t group;       /* 'P': the group whose second it is */
    char kind;            /* 'S' statistics, 'F' final statistics, 'P' a finished second,
                             'E' an error message, 'A' a thread abandoned (what happened) */
    unsigned char ending; /* 'F': why the sender's run ended */
    uint16_t pad;
} frame_header_t;

/* A statistics frame's payload: entries of a group's index, the length of
 * its serialised stats, and those. */
typedef struct stats_entry {
    uint32_t group;
    uint32_t len;
} stats_entry_t;

static int append_frame(throng__buf_t *b, char kind, throng_ending_t ending, uint32_t group,
                        const void *payload, size_t len)
{
    frame_header_t h = {(uint32_t)len, group, kind, (unsigned char)ending, 0};
    if (throng__buf_append(b, &h, sizeof h) != 0) return -1;
    return len ? throng__buf_append(b, payload, len) : 0;
}

int throng__frame_stats(throng__buf_t *b, char kind, throng_ending_t ending, unsigned first,
                        unsigned n, const throng__stats_t *const *stats)
{
    size_t start = b->len;
    frame_header_t h = {0, 0, kind, (unsigned char)ending, 0};
    if (throng__buf_append(b, &h, sizeof h) != 0) return -1;
    for (unsigned i = 0; i < n; i++) {
        size_t at = b->len;
        stats_entry_t entry = {first + i, 0};
        if (throng__buf_append(b, &entry, sizeof entry) != 0 ||
            throng__stats_serialize(stats[i], b) != 0) {
            b->len = start;
            return -1;
        }
        entry.len = (uint32_t)(b->len - at - sizeof entry);
        memcpy(b->data + at, &entry, sizeof entry);
    }
    h.len = (uint32_t)(b->len - start - sizeof h);
    memcpy(b->data + start, &h, sizeof h);
    return 0;
}

int throng__frame_seconds(throng__buf_t *b, throng__series_t *series)
{
    int rc = 0;
    for (size_t g = 0; g < series->ngroups; g++) {
        const throng__second_t *second;
        for (size_t i = 0; (second = throng__series_pending(&series->groups[g], i)) != NULL; i++)
            if (rc == 0)
                rc = append_frame(b, 'P', THRONG_END_NONE, (uint32_t)g, second, sizeof *second);
    }
    throng__series_free(series);
    throng__series_init(series);
    return rc;
}

int throng__frame_text(throng__buf_t *b, char kind, const char *text)
{
    return append_frame(b, kind, THRONG_END_NONE, 0, text, strlen(text));
}

/* ------------------------------------------------------------ receiving */

int throng__frames_init(throng__frames_t *f, unsigned ngroups)
{
    memset(f, 0, sizeof *f);
    f->ngroups = ngroups;
    f->ending = THRONG_END_NONE;
    throng__series_init(&f->seconds);
    f->last = calloc(ngroups ? ngroups : 1, sizeof *f->last);
    return f->last ? 0 : -1;
}

void throng__frames_free(throng__frames_t *f)
{
    for (unsigned g = 0; g < f->ngroups && f->last; g++) {
        if (f->last[g]) throng__stats_free(f->last[g]);
        free(f->last[g]);
    }
    free(f->last);
    f->last = NULL;
    throng__series_free(&f->seconds);
    throng__buf_free(&f->in);
}

/* A statistics frame: each entry's group gets the stats that follow. */
static int take_stats(throng__frames_t *f, const char *data, size_t len)
{
    const char *at = data, *end = data + len;
    while (at < end) {
        stats_entry_t entry;
        if ((size_t)(end - at) < sizeof entry) return -1;
        memcpy(&entry, at, sizeof entry);
        at += sizeof entry;
        if (entry.group >= f->ngroups || (size_t)(end - at) < entry.len) return -1;
        throng__stats_t **s = &f->last[entry.group];
        if (!*s) {
            if (!(*s = throng__stats_new())) return -1;
        }
        if (throng__stats_deserialize(*s, at, entry.len) != 0) return -1;
        at += entry.len;
    }
    return 0;
}

static void take_frame(throng__frames_t *f, const frame_header_t *h, const char *payload)
{
    if (h->kind == 'S' || h->kind == 'F') {
        if (take_stats(f, payload, h->len) != 0) f->malformed = 1;
        if (h->kind == 'F') {
            f->said_goodbye = 1;
            f->ending = (throng_ending_t)h->ending;
        }
    } else if (h->kind == 'P' && h->len == sizeof(throng__second_t) && h->group < f->ngroups) {
        throng__second_t second;
        memcpy(&second, payload, sizeof second);
        throng__series_add_group(&f->seconds, h->group, &second);
    } else if (h->kind == 'A') {
        if (!f->abandoned++)
            snprintf(f->abandoned_sample, sizeof f->abandoned_sample, "%s: %.*s", f->who,
                     (int)h->len, payload);
    } else if (h->kind == 'E') {
        snprintf(f->error, sizeof f->error, "%.*s", (int)h->len, payload);
    } else {
        f->malformed = 1;
    }
}

int throng__frames_take(throng__frames_t *f, const void *data, size_t len)
{
    if (throng__buf_append(&f->in, data, len) != 0) return -1;
    size_t at = 0;
    while (f->in.len - at >= sizeof(frame_header_t)) {
        frame_header_t h;
        memcpy(&h, f->in.data + at, sizeof h);
        if (f->in.len - at - sizeof h < h.len) break;
        take_frame(f, &h, f->in.data + at + sizeof h);
        at += sizeof h + h.len;
    }
    memmove(f->in.data, f->in.data + at, f->in.len - at);
    f->in.len -= at;
    return 0;
}

void throng__frames_lost(throng__frames_t *f)
{
    for (unsigned g = 0; g < f->ngroups; g++)
        if (f->last[g]) f->last[g]->n.clients_active = 0;
}

void throng__frames_counts(const throng__frames_t *f, throng__counts_t *sum)
{
    for (unsigned g = 0; g < f->ngroups; g++)
        if (f->last[g]) throng__counts_add(sum, &f->last[g]->n);
}

void throng__frames_latest(const throng__frames_t *f, throng__stats_t *groups)
{
    for (unsigned g = 0; g < f->ngroups; g++)
        if (f->last[g]) throng__stats_merge(&groups[g], f->last[g]);
}

/* Each second goes to the run's series and its group's. */
void throng__frames_seconds(throng__frames_t *f, throng__series_t *series)
{
    for (size_t g = 0; g < f->seconds.ngroups; g++) {
        const throng__second_t *second;
        for (size_t i = 0; (second = throng__series_pending(&f->seconds.groups[g], i)) != NULL; i++)
            throng__series_add_group(series, (unsigned)g, second);
    }
    throng__series_free(&f->seconds);
    throng__series_init(&f->seconds);
}

void throng__frames_finish(const throng__frames_t *f, throng__stats_t *const *gstats)
{
    for (unsigned g = 0; g < f->ngroups; g++)
        if (f->last[g]) throng__stats_merge(gstats[g], f->last[g]);
}
