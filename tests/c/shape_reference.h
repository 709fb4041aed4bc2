/* shape_reference.h - the whole-body table scanner as it was before it
 * became a state machine fed in pieces (lua/shape.c), kept as the
 * reference that the streaming scanner must agree with on every body and
 * every split of it. Included by test_shape.c only. */
#include <stdio.h>
#include <string.h>

typedef struct scan {
    const char *p, *end;
    throng__shape_t *out;
} scan_t;

static void skip_ws(scan_t *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
        s->p++;
}

static int take(scan_t *s, char c)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == c) {
        s->p++;
        return 1;
    }
    return 0;
}

static int fail(scan_t *s, const char *why)
{
    snprintf(s->out->why, sizeof s->out->why, "%s", why);
    return -1;
}

/* A JSON number: optional minus, digits, fraction, exponent. */
static int number(scan_t *s)
{
    const char *p = s->p, *e = s->end;
    if (p < e && *p == '-') p++;
    const char *digits = p;
    while (p < e && *p >= '0' && *p <= '9')
        p++;
    if (p == digits) return -1;
    if (p < e && *p == '.') {
        p++;
        const char *frac = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == frac) return -1;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < e && (*p == '+' || *p == '-')) p++;
        const char *exp = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == exp) return -1;
    }
    s->p = p;
    return 0;
}

/* One row: [n, n, ...]; returns its length or -1. */
static long row(scan_t *s)
{
    if (!take(s, '[')) return -1;
    if (take(s, ']')) return 0;
    long n = 0;
    do {
        skip_ws(s);
        if (number(s) != 0) return -1;
        n++;
    } while (take(s, ','));
    return take(s, ']') ? n : -1;
}

static int table(scan_t *s)
{
    throng__shape_t *o = s->out;
    o->rows = o->cols = 0;
    if (!take(s, '[')) return fail(s, "not a table: expected a list of rows");
    if (take(s, ']')) return 0;
    do {
        long n = row(s);
        if (n < 0) {
            snprintf(o->why, sizeof o->why, "not a table: row %ld is not a list of numbers",
                     o->rows + 1);
            return -1;
        }
        if (o->rows > 0 && n != o->cols) {
            snprintf(o->why, sizeof o->why, "ragged table: row %ld has %ld numbers, row 1 has %ld",
                     o->rows + 1, n, o->cols);
            return -1;
        }
        o->cols = n;
        o->rows++;
    } while (take(s, ','));
    return take(s, ']') ? 0 : fail(s, "not a table: unterminated list of rows");
}

/* Skips one JSON value of any kind (strings, nesting, literals), loosely:
 * enough to step over the third member of a layer-cake envelope. */
static int skip_value(scan_t *s)
{
    int depth = 0;
    skip_ws(s);
    while (s->p < s->end) {
        char c = *s->p;
        if (depth == 0 && (c == ',' || c == ']' || c == '}')) return 0; /* a scalar ended */
        s->p++;
        if (c == '"') {
            while (s->p < s->end && *s->p != '"') {
                if (*s->p == '\\' && s->end - s->p < 2) return -1;
                s->p += (*s->p == '\\') ? 2 : 1;
            }
            if (s->p >= s->end) return -1;
            s->p++;
            if (depth == 0) return 0;
        } else if (c == '[' || c == '{') {
            depth++;
        } else if ((c == ']' || c == '}') && --depth == 0) {
            return 0;
        }
    }
    return depth == 0 ? 0 : -1;
}

/* Only whitespace may follow the reply. */
static int at_end(scan_t *s)
{
    skip_ws(s);
    return s->p == s->end;
}

/* A JSON string without escapes (type names have none); sets *str and *len. */
static int plain_string(scan_t *s, const char **str, size_t *len)
{
    if (!take(s, '"')) return -1;
    const char *start = s->p;
    while (s->p < s->end && *s->p != '"') {
        if (*s->p == '\\') return -1;
        s->p++;
    }
    if (s->p >= s->end) return -1;
    *str = start;
    *len = (size_t)(s->p - start);
    s->p++;
    return 0;
}

#define TABLE_TYPE "vector<vector<float8>>"

/* {"value": ["type", payload, []]}: a table when type is TABLE_TYPE;
 * otherwise the type name (Busy, another fault) becomes the reason. */
static int envelope(scan_t *s)
{
    const char *str;
    size_t len;
    s->p++; /* the '{' */
    if (plain_string(s, &str, &len) != 0 || len != 5 || memcmp(str, "value", 5) != 0 ||
        !take(s, ':') || !take(s, '['))
        return fail(s, "not a table: object without a layer-cake \"value\"");
    if (plain_string(s, &str, &len) != 0)
        return fail(s, "not a table: layer-cake value without a type name");
    if (len != sizeof TABLE_TYPE - 1 || memcmp(str, TABLE_TYPE, len) != 0) {
        snprintf(s->out->why, sizeof s->out->why, "%.*s", (int)len, str);
        return -1;
    }
    if (!take(s, ',')) return fail(s, "not a table: layer-cake value without a payload");
    if (table(s) != 0) return -1;
    /* The rest of the envelope: [, trailing member] ] } and the end. */
    if (take(s, ',') && skip_value(s) != 0)
        return fail(s, "not a table: malformed layer-cake envelope");
    if (!take(s, ']') || !take(s, '}') || !at_end(s))
        return fail(s, "not a table: malformed layer-cake envelope");
    return 0;
}

static int reference_table_shape(const char *body, size_t len, throng__shape_t *out)
{
    scan_t s = {body, body + len, out};
    out->rows = out->cols = 0;
    out->why[0] = '\0';
    skip_ws(&s);
    if (s.p >= s.end) return fail(&s, "empty body");
    if (*s.p == '{') return envelope(&s);
    if (*s.p == '[') {
        if (table(&s) != 0) return -1;
        return at_end(&s) ? 0 : fail(&s, "not a table: more after the list of rows");
    }
    return fail(&s, "not a table: the body is not JSON");
}
