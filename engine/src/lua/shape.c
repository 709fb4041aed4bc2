/* shape.c - a strict little scanner for table replies. It checks structure
 * (arrays of arrays of numbers, rows of equal length) and counts; it never
 * converts a number.
 *
 * It is a state machine fed one byte at a time, so that a body can be
 * scanned as it streams in and never kept: a piece may end anywhere, and
 * the state carries over to the next. The whole-body function is that
 * machine fed once. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lua/shape.h"

#define TABLE_TYPE "vector<vector<float8>>"

/* Where the scanner stands. */
enum {
    S_TOP,        /* before the reply: '{' (an envelope) or '[' (a bare table) */
    S_KEY_QUOTE,  /* envelope: before "value" */
    S_KEY,        /* in the key's string */
    S_KEY_COLON,  /* after the key */
    S_VALUE_OPEN, /* before the value's '[' */
    S_TYPE_QUOTE, /* before the type name */
    S_TYPE,       /* in the type name */
    S_TYPE_COMMA, /* after the type name */
    S_TAB_OPEN,   /* before the list of rows */
    S_TAB_FIRST,  /* after '[': a row or ']' */
    /* S_TAB_AFTER .. S_ROW_AFTER, in this order: the rows (rows_fast) */
    S_TAB_AFTER,  /* after a row: ',' or ']' */
    S_TAB_ROW,    /* after ',': a row */
    S_ROW_FIRST,  /* after a row's '[': a number or ']' */
    S_ROW_NEXT,   /* after ',' in a row: a number */
    S_ROW_AFTER,  /* after a number: ',' or ']' */
    S_NUM,        /* in a number (num says which part) */
    S_BARE_END,   /* a bare table ended: only whitespace may follow */
    S_ENV_AFTER,  /* the envelope's table ended: ',' and a member, or ']' */
    S_SKIP,       /* stepping over the envelope's third member */
    S_ENV_ARRAY,  /* the value's closing ']' */
    S_ENV_OBJECT, /* the envelope's closing '}' */
    S_ENV_END,    /* the envelope ended: only whitespace may follow */
    S_FAILED      /* refused: out.why says why */
};

/* The parts of a JSON number: optional minus, digits, fraction, exponent. */
enum { N_MINUS, N_INT, N_DOT, N_FRAC, N_E, N_ESIGN, N_EXP };

static const char no_value[] = "not a table: object without a layer-cake \"value\"";
static const char no_type[] = "not a table: layer-cake value without a type name";
static const char no_payload[] = "not a table: layer-cake value without a payload";
static const char malformed[] = "not a table: malformed layer-cake envelope";

static int is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static void fail(throng__shape_stream_t *s, const char *why)
{
    snprintf(s->out.why, sizeof s->out.why, "%s", why);
    s->state = S_FAILED;
}

static void row_fail(throng__shape_stream_t *s)
{
    snprintf(s->out.why, sizeof s->out.why, "not a table: row %ld is not a list of numbers",
             s->out.rows + 1);
    s->state = S_FAILED;
}

/* A row's ']': it must hold as many numbers as the first. */
static void row_done(throng__shape_stream_t *s)
{
    throng__shape_t *o = &s->out;
    if (o->rows > 0 && s->n != o->cols) {
        snprintf(o->why, sizeof o->why, "ragged table: row %ld has %ld numbers, row 1 has %ld",
                 o->rows + 1, s->n, o->cols);
        s->state = S_FAILED;
        return;
    }
    o->cols = s->n;
    o->rows++;
    s->state = S_TAB_AFTER;
}

static void table_done(throng__shape_stream_t *s)
{
    s->state = s->bare ? S_BARE_END : S_ENV_AFTER;
}

/* A number's next byte; returns 0 when the number ended before c (which
 * the row then reads), 1 when c was taken. */
static int number_step(throng__shape_stream_t *s, char c)
{
    int digit = is_digit(c);
    switch (s->num) {
    case N_MINUS: /* a digit must follow */
    case N_DOT:
    case N_ESIGN:
        if (!digit) {
            row_fail(s);
            return 1;
        }
        s->num = s->num == N_MINUS ? N_INT : s->num == N_DOT ? N_FRAC : N_EXP;
        return 1;
    case N_E:
        if (c == '+' || c == '-')
            s->num = N_ESIGN;
        else if (digit)
            s->num = N_EXP;
        else
            row_fail(s);
        return 1;
    case N_INT:
        if (digit) return 1;
        if (c == '.') {
            s->num = N_DOT;
            return 1;
        }
        /* An exponent may follow the digits, as after a fraction. */
        /* fall through */
    case N_FRAC:
        if (digit) return 1;
        if (c == 'e' || c == 'E') {
            s->num = N_E;
            return 1;
        }
        break;
    default: /* N_EXP */
        if (digit) return 1;
        break;
    }
    s->state = S_ROW_AFTER; /* a whole number ended */
    return 0;
}

/* A number starts at c, or the row is not a list of numbers. */
static void number_start(throng__shape_stream_t *s, char c)
{
    if (c != '-' && !is_digit(c)) {
        row_fail(s);
        return;
    }
    s->n++;
    s->num = c == '-' ? N_MINUS : N_INT;
    s->state = S_NUM;
}

/* One byte of a string the envelope names (its key, its type name): kept
 * when it is the type name, compared with what is expected. */
static void string_byte(throng__shape_stream_t *s, char c, const char *want, size_t wlen)
{
    if (s->state == S_TYPE && s->slen < sizeof s->out.why - 1) s->out.why[s->slen] = c;
    s->match = s->match && s->slen < wlen && want[s->slen] == c;
    s->slen++;
}

/* The type name ended: the table follows, or the name is the reason. */
static void type_done(throng__shape_stream_t *s)
{
    size_t kept = s->slen < sizeof s->out.why - 1 ? s->slen : sizeof s->out.why - 1;
    if (s->match && s->slen == sizeof TABLE_TYPE - 1) {
        s->out.why[0] = '\0';
        s->state = S_TYPE_COMMA;
        return;
    }
    s->out.why[kept] = '\0'; /* Busy, or another fault's type */
    s->state = S_FAILED;
}

/* One byte of the envelope's third member, skipped loosely: strings,
 * nesting and literals, as far as the ',' ']' or '}' that ends it. */
static int skip_step(throng__shape_stream_t *s, char c)
{
    if (s->in_string) {
        if (s->escaped)
            s->escaped = 0;
        else if (c == '\\')
            s->escaped = 1;
        else if (c == '"') {
            s->in_string = 0;
            if (s->depth == 0) s->state = S_ENV_ARRAY;
        }
        return 1;
    }
    if (s->depth == 0 && (c == ',' || c == ']' || c == '}')) { /* a scalar ended */
        s->state = S_ENV_ARRAY;
        return 0;
    }
    if (c == '"')
        s->in_string = 1;
    else if (c == '[' || c == '{')
        s->depth++;
    else if ((c == ']' || c == '}') && --s->depth == 0)
        s->state = S_ENV_ARRAY;
    return 1;
}

/* Takes c in the state the scanner is in. Returns 1 when c was used, 0
 * when the state changed and c is to be read again in the new one. */
static int step(throng__shape_stream_t *s, char c)
{
    switch (s->state) {
    case S_KEY:
    case S_TYPE:
        if (c == '"') {
            if (s->state == S_TYPE)
                type_done(s);
            else if (s->match && s->slen == 5)
                s->state = S_KEY_COLON;
            else
                fail(s, no_value);
        } else if (c == '\\') {
            fail(s, s->state == S_TYPE ? no_type : no_value);
        } else {
            string_byte(s, c, s->state == S_TYPE ? TABLE_TYPE : "value",
                        s->state == S_TYPE ? sizeof TABLE_TYPE - 1 : 5);
        }
        return 1;
    case S_NUM:
        return number_step(s, c);
    case S_SKIP:
        return skip_step(s, c);
    case S_FAILED:
        return 1;
    default:
        break;
    }
    if (is_ws(c)) return 1; /* every other state allows whitespace first */
    switch (s->state) {
    case S_TOP:
        if (c == '{') {
            s->state = S_KEY_QUOTE;
        } else if (c == '[') {
            s->bare = 1;
            s->state = S_TAB_FIRST;
        } else {
            fail(s, "not a table: the body is not JSON");
        }
        break;
    case S_KEY_QUOTE:
    case S_TYPE_QUOTE:
        if (c != '"') {
            fail(s, s->state == S_KEY_QUOTE ? no_value : no_type);
            break;
        }
        s->slen = 0;
        s->match = 1;
        s->state = s->state == S_KEY_QUOTE ? S_KEY : S_TYPE;
        break;
    case S_KEY_COLON:
        if (c == ':')
            s->state = S_VALUE_OPEN;
        else
            fail(s, no_value);
        break;
    case S_VALUE_OPEN:
        if (c == '[')
            s->state = S_TYPE_QUOTE;
        else
            fail(s, no_value);
        break;
    case S_TYPE_COMMA:
        if (c == ',')
            s->state = S_TAB_OPEN;
        else
            fail(s, no_payload);
        break;
    case S_TAB_OPEN:
        if (c == '[')
            s->state = S_TAB_FIRST;
        else
            fail(s, "not a table: expected a list of rows");
        break;
    case S_TAB_FIRST:
    case S_TAB_ROW:
        if (c == ']' && s->state == S_TAB_FIRST) {
            table_done(s);
        } else if (c == '[') {
            s->n = 0;
            s->state = S_ROW_FIRST;
        } else {
            row_fail(s);
        }
        break;
    case S_TAB_AFTER:
        if (c == ',')
            s->state = S_TAB_ROW;
        else if (c == ']')
            table_done(s);
        else
            fail(s, "not a table: unterminated list of rows");
        break;
    case S_ROW_FIRST:
        if (c == ']')
            row_done(s);
        else
            number_start(s, c);
        break;
    case S_ROW_NEXT:
        number_start(s, c);
        break;
    case S_ROW_AFTER:
        if (c == ',')
            s->state = S_ROW_NEXT;
        else if (c == ']')
            row_done(s);
        else
            row_fail(s);
        break;
    case S_BARE_END:
        fail(s, "not a table: more after the list of rows");
        break;
    case S_ENV_AFTER:
        if (c == ',') {
            s->depth = 0;
            s->in_string = s->escaped = 0;
            s->state = S_SKIP;
        } else if (c == ']') {
            s->state = S_ENV_OBJECT;
        } else {
            fail(s, malformed);
        }
        break;
    case S_ENV_ARRAY:
        if (c == ']')
            s->state = S_ENV_OBJECT;
        else
            fail(s, malformed);
        break;
    case S_ENV_OBJECT:
        if (c == '}')
            s->state = S_ENV_END;
        else
            fail(s, malformed);
        break;
    default: /* S_ENV_END */
        fail(s, malformed);
        break;
    }
    return 1;
}

void throng__shape_begin(throng__shape_stream_t *s)
{
    memset(s, 0, sizeof *s);
    s->state = S_TOP;
}

/* Bytes a number may hold (NUMBER) and digits (DIGIT), for the rows' loop. */
static const unsigned char DIGIT[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
    ['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
};
static const unsigned char NUMBER[256] = {
    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1, ['7'] = 1,
    ['8'] = 1, ['9'] = 1, ['-'] = 1, ['+'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1,
};

#define ONES UINT64_C(0x0101010101010101)
#define HIGH UINT64_C(0x8080808080808080)

/* Past the run of digits that starts at q (q itself may be no digit). Eight
 * bytes at a time while eight bytes before lim are there to read: in each
 * byte b, bit 7 of the mask is set when b is no digit ('0' is 0x30, '9'
 * 0x39). With b7 = b & 0x7f, b7 + 0x50 and 0xb9 - b7 neither carry nor
 * borrow out of their byte: the first has bit 7 set when b7 >= 0x30, the
 * second when b7 <= 0x39. The first byte that is no digit is the lowest
 * set bit on a little-endian machine. The rest, byte by byte, stops at
 * lim - 1 at the latest (no digit there, as whole_number's caller knows). */
static inline __attribute__((always_inline)) const unsigned char *
skip_digits(const unsigned char *q, const unsigned char *lim)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (lim - q >= 8) {
        uint64_t x, low;
        memcpy(&x, q, sizeof x);
        low = x & ~HIGH;
        uint64_t other = ~((low + 0x50 * ONES) & (0xb9 * ONES - low) & ~x) & HIGH;
        if (other) return q + (__builtin_ctzll(other) >> 3);
        q += 8;
    }
#else
    (void)lim;
#endif
    while (DIGIT[*q])
        q++;
    return q;
}

/* Where the number that starts at p ends, or NULL when it is malformed
 * (for step() to read it byte by byte and say what is wrong). The grammar
 * is number_step's. Nothing at or past lim is read: the caller knows that
 * lim - 1 holds a byte no number can hold, so every run of digits stops
 * in time, and so does every byte read after '-', '.', 'e' or '+'. */
static const char *whole_number(const char *p, const char *lim)
{
    const unsigned char *q = (const unsigned char *)p, *l = (const unsigned char *)lim;
    q += *q == '-';
    if (!DIGIT[*q]) return NULL;
    do /* one or two digits, as a rule: byte by byte */
        q++;
    while (DIGIT[*q]);
    if (*q == '.') {
        if (!DIGIT[*++q]) return NULL;
        q = skip_digits(q + 1, l);
    }
    if ((*q | 0x20) == 'e') {
        q++;
        q += *q == '+' || *q == '-';
        if (!DIGIT[*q]) return NULL;
        do
            q++;
        while (DIGIT[*q]);
    }
    return (const char *)q;
}

/* The rows of a table, the bulk of every reply, a number at a time instead
 * of a byte at a time: what step() would do for compact JSON (no
 * whitespace) over [p, lim), where lim - 1 holds a byte no number can
 * hold (so every number that starts before lim ends before it). The state
 * and the row's count stay in locals, written back when it stops. Returns
 * where it stopped: at lim, or at a byte for step() (whitespace, the
 * table's ']', anything wrong). */
static const char *rows_fast(throng__shape_stream_t *s, const char *p, const char *lim)
{
    int state = s->state;
    long n = s->n;
    while (p < lim) {
        const char *q;
        char c = *p;
        switch (state) {
        case S_ROW_FIRST:
            if (c == ']') goto row_end;
            /* fall through */
        case S_ROW_NEXT:
            if (!(q = whole_number(p, lim))) goto out;
            n++;
            state = S_ROW_AFTER;
            p = q;
            continue;
        case S_ROW_AFTER:
            if (c == ',') {
                state = S_ROW_NEXT;
                p++;
                continue;
            }
            if (c == ']') goto row_end;
            goto out;
        case S_TAB_AFTER:
            if (c != ',') goto out;
            state = S_TAB_ROW;
            p++;
            continue;
        case S_TAB_ROW:
            if (c != '[') goto out;
            n = 0;
            state = S_ROW_FIRST;
            p++;
            continue;
        default:
            goto out;
        }
    row_end:
        s->n = n;
        row_done(s); /* a row's count checked, or the table refused */
        state = s->state;
        if (state == S_FAILED) return p;
        p++;
    }
out:
    s->state = state;
    s->n = n;
    return p;
}

/* The start of a compact layer-cake table reply, as the reference server
 * writes it: read at once when a piece holds all of it. */
static const char envelope[] = "{\"value\":[\"" TABLE_TYPE "\",[";

void throng__shape_feed(throng__shape_stream_t *s, const char *data, size_t len)
{
    const char *p = data, *end = data + len;
    /* lim: past the piece's last byte that no number can hold; the rows
     * before it are read by rows_fast, the rest by step(). */
    const char *lim = end;
    while (lim > p && NUMBER[(unsigned char)lim[-1]])
        lim--;
    if (s->state == S_TOP && len >= sizeof envelope - 1 &&
        memcmp(p, envelope, sizeof envelope - 1) == 0) {
        p += sizeof envelope - 1;
        s->state = S_TAB_FIRST;
    }
    while (p < end && s->state != S_FAILED) {
        if (s->state >= S_TAB_AFTER && s->state <= S_ROW_AFTER && p < lim) {
            p = rows_fast(s, p, lim);
            if (p == end || s->state == S_FAILED) break;
        }
        /* The bulk of a table is digits: take a run of them at once. */
        if (s->state == S_NUM && (s->num == N_INT || s->num == N_FRAC || s->num == N_EXP))
            while (p < end && is_digit(*p))
                p++;
        if (p < end && step(s, *p)) p++;
    }
}

int throng__shape_end(throng__shape_stream_t *s)
{
    const char *why = NULL;
    switch (s->state) {
    case S_BARE_END:
    case S_ENV_END:
        s->out.why[0] = '\0';
        return 0;
    case S_FAILED:
        return -1;
    case S_TOP:
        why = "empty body";
        break;
    case S_KEY_QUOTE:
    case S_KEY:
    case S_KEY_COLON:
    case S_VALUE_OPEN:
        why = no_value;
        break;
    case S_TYPE_QUOTE:
    case S_TYPE:
        why = no_type;
        break;
    case S_TYPE_COMMA:
        why = no_payload;
        break;
    case S_TAB_OPEN:
        why = "not a table: expected a list of rows";
        break;
    case S_TAB_AFTER:
        why = "not a table: unterminated list of rows";
        break;
    case S_TAB_FIRST:
    case S_TAB_ROW:
    case S_ROW_FIRST:
    case S_ROW_NEXT:
    case S_ROW_AFTER:
    case S_NUM:
        row_fail(s);
        return -1;
    default: /* the envelope's tail */
        why = malformed;
        break;
    }
    fail(s, why);
    return -1;
}

int throng__table_shape(const char *body, size_t len, throng__shape_t *out)
{
    throng__shape_stream_t s;
    throng__shape_begin(&s);
    throng__shape_feed(&s, body, len);
    int rc = throng__shape_end(&s);
    *out = s.out;
    return rc;
}
