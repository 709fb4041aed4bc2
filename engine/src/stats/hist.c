/* hist.c - merging, percentiles, iteration and the compact form of the
 * latency histogram (the layout and the hot path are in hist.h).
 *
 * Compact form: the bytes 'T' 'H' 1, then unsigned LEB128 varints
 *   count sum_lo sum_hi min max overflow n
 * and n pairs (gap, count) for the non-empty buckets in increasing order,
 * where gap is the number of empty buckets skipped since the previous one
 * (for the first, its index). An empty histogram writes all zeros and n = 0.
 * Every varint is minimal, so a histogram has exactly one encoding. */
#include <stddef.h>
#include <string.h>

#include "stats/hist.h"

#define TOP_INDEX (THRONG__HIST_BUCKETS - 1)

static const uint8_t magic[3] = {'T', 'H', 1};

/* The bucket of any value, clamped ones included. */
static size_t clamped_index(uint64_t ns)
{
    return throng__hist_index(ns < THRONG__HIST_LIMIT ? ns : THRONG__HIST_LIMIT - 1);
}

/* Buckets outside [index(min), index(max)] are empty: every walk starts and
 * stops there, so its cost follows the spread of the latencies seen (1024
 * buckets per doubling), not the 33,792 buckets of the whole range. */
static size_t first_index(const throng__hist_t *h)
{
    return clamped_index(~h->min_inv);
}

static size_t last_index(const throng__hist_t *h)
{
    return clamped_index(h->max);
}

/* min is kept inverted so that the first record sets it without a branch
 * on count, and a histogram inside calloc'ed state needs no init. */
void throng__hist_init(throng__hist_t *h)
{
    memset(h, 0, sizeof *h);
}

/* The 128-bit sum, added with carry. */
static void add_sum(throng__hist_t *h, uint64_t lo, uint64_t hi)
{
    h->sum_lo += lo;
    h->sum_hi += hi + (h->sum_lo < lo);
}

void throng__hist_copy(throng__hist_t *into, const throng__hist_t *from)
{
    if (into == from) return;
    /* into's buckets outside [index(min), index(max)] are empty already. */
    if (into->count) {
        size_t lo = first_index(into);
        memset(into->counts + lo, 0, (last_index(into) - lo + 1) * sizeof *into->counts);
    }
    if (from->count) {
        size_t lo = first_index(from);
        memcpy(into->counts + lo, from->counts + lo,
               (last_index(from) - lo + 1) * sizeof *from->counts);
    }
    memcpy(into, from, offsetof(throng__hist_t, counts));
}

/* Adding counts bucket by bucket is what makes merging exact: the result is
 * the histogram of all the values, whichever thread recorded them. */
void throng__hist_merge(throng__hist_t *into, const throng__hist_t *from)
{
    if (from->count == 0) return;
    size_t end = last_index(from);
    for (size_t i = first_index(from); i <= end; i++)
        into->counts[i] += from->counts[i];
    into->count += from->count;
    add_sum(into, from->sum_lo, from->sum_hi);
    into->overflow += from->overflow;
    if (from->min_inv > into->min_inv) into->min_inv = from->min_inv;
    if (from->max > into->max) into->max = from->max;
}

/* Adds the c values top, top - step, ..., top - (c - 1) step, all in
 * bucket index, to the header and that bucket. */
static void add_run(throng__hist_t *h, size_t index, uint64_t top, uint64_t step, uint64_t c)
{
    uint64_t low = top - (c - 1) * step;
    /* c top - step (0 + 1 + ... + c - 1), in 128 bits */
    unsigned __int128 sum = (unsigned __int128)c * top - (unsigned __int128)c * (c - 1) / 2 * step;
    h->counts[index] += c;
    h->count += c;
    add_sum(h, (uint64_t)sum, (uint64_t)(sum >> 64));
    if (~low > h->min_inv) h->min_inv = ~low;
    if (top > h->max) h->max = top;
}

void throng__hist_record_corrected(throng__hist_t *h, uint64_t ns, uint64_t interval_ns)
{
    throng__hist_record(h, ns);
    if (interval_ns == 0 || ns < 2 * interval_ns) return;
    /* The missed values: ns - interval down to the last one >= interval. */
    uint64_t top = ns - interval_ns, left = top / interval_ns;
    while (left > 0) {
        size_t index = clamped_index(top);
        uint64_t lo, hi, c;
        throng__hist_bounds(index, &lo, &hi);
        if (top >= THRONG__HIST_LIMIT) { /* clamped into the top bucket */
            c = (top - THRONG__HIST_LIMIT) / interval_ns + 1;
            if (c > left) c = left;
            h->overflow += c;
        } else {
            c = (top - lo) / interval_ns + 1;
        }
        if (c > left) c = left;
        add_run(h, index, top, interval_ns, c);
        left -= c;
        if (left) top -= c * interval_ns;
    }
}

/* The inverse of throng__hist_index: bucket i >= 2048 lies in the octave of
 * shift e = i / 1024 - 1 and starts at its sub-bucket times 2^e. */
void throng__hist_bounds(size_t index, uint64_t *lo_ns, uint64_t *hi_ns)
{
    if (index < (2u << THRONG__HIST_SUB_BITS)) {
        *lo_ns = *hi_ns = index;
        return;
    }
    unsigned e = (unsigned)(index >> THRONG__HIST_SUB_BITS) - 1;
    uint64_t sub = index - ((size_t)e << THRONG__HIST_SUB_BITS);
    *lo_ns = sub << e;
    *hi_ns = *lo_ns + ((uint64_t)1 << e) - 1;
}

/* The reported value of a bucket: its midpoint, which halves the worst error
 * compared with either end, kept within [min, max] since no recorded value
 * lies outside (this also makes the clamped top bucket report max). */
static uint64_t bucket_value(const throng__hist_t *h, size_t index)
{
    uint64_t lo, hi;
    throng__hist_bounds(index, &lo, &hi);
    uint64_t mid = lo + (hi - lo) / 2;
    if (mid < ~h->min_inv) return ~h->min_inv;
    if (mid > h->max) return h->max;
    return mid;
}

/* The 1-based rank of percentile p among count values (nearest rank:
 * the smallest rank whose share reaches p). */
static uint64_t rank_of(double p, uint64_t count)
{
    double x = p * (double)count / 100.0;
    uint64_t rank = (uint64_t)x;
    if ((double)rank < x) rank++;
    if (rank < 1) rank = 1;
    return rank < count ? rank : count;
}

/* The ends are answered from the exact min and max, not from a bucket, so a
 * report's p0 and p100 are the true extremes. */
uint64_t throng__hist_percentile(const throng__hist_t *h, double p)
{
    if (h->count == 0) return 0;
    if (!(p > 0.0)) return ~h->min_inv; /* NaN too */
    if (p >= 100.0) return h->max;
    uint64_t rank = rank_of(p, h->count), seen = 0;
    size_t end = last_index(h);
    for (size_t i = first_index(h); i < end; i++) {
        seen += h->counts[i];
        if (seen >= rank) return bucket_value(h, i);
    }
    return bucket_value(h, end);
}

/* The sum is exact; only its conversion to double and the division round. */
double throng__hist_mean(const throng__hist_t *h)
{
    if (h->count == 0) return 0.0;
    double sum = (double)h->sum_hi * 0x1.0p64 + (double)h->sum_lo;
    return sum / (double)h->count;
}

uint64_t throng__hist_count(const throng__hist_t *h)
{
    return h->count;
}

/* The inverted min of an empty histogram reads UINT64_MAX; callers see 0. */
uint64_t throng__hist_min(const throng__hist_t *h)
{
    return h->count ? ~h->min_inv : 0;
}

uint64_t throng__hist_max(const throng__hist_t *h)
{
    return h->max;
}

uint64_t throng__hist_overflow(const throng__hist_t *h)
{
    return h->overflow;
}

/* Reports list buckets, not 33,792 rows: skip to the next non-empty one. */
int throng__hist_next(const throng__hist_t *h, size_t *index, uint64_t *lo_ns, uint64_t *hi_ns,
                      uint64_t *count)
{
    if (h->count == 0) return 0;
    size_t i = *index, end = last_index(h);
    if (i < first_index(h)) i = first_index(h);
    while (i <= end && h->counts[i] == 0)
        i++;
    if (i > end) return 0;
    throng__hist_bounds(i, lo_ns, hi_ns);
    if (i == TOP_INDEX && h->max > *hi_ns) *hi_ns = h->max;
    *count = h->counts[i];
    *index = i + 1;
    return 1;
}

/* ------------------------------------------------------------- compact form */

/* A bounded writer: it counts every byte but stores only those that fit, so
 * one pass both sizes and writes. */
typedef struct writer {
    uint8_t *buf;
    size_t cap, len;
} writer_t;

static void put_byte(writer_t *w, uint8_t b)
{
    if (w->len < w->cap) w->buf[w->len] = b;
    w->len++;
}

static void put_varint(writer_t *w, uint64_t v)
{
    while (v >= 0x80) {
        put_byte(w, (uint8_t)(v | 0x80));
        v >>= 7;
    }
    put_byte(w, (uint8_t)v);
}

/* min is written plainly, 0 when empty. */
static void put_header(writer_t *w, const throng__hist_t *h, uint64_t buckets)
{
    for (size_t i = 0; i < sizeof magic; i++)
        put_byte(w, magic[i]);
    put_varint(w, h->count);
    put_varint(w, h->sum_lo);
    put_varint(w, h->sum_hi);
    put_varint(w, throng__hist_min(h));
    put_varint(w, h->max);
    put_varint(w, h->overflow);
    put_varint(w, buckets);
}

/* The header carries the bucket count, so count them first (cheap next to
 * writing). */
static uint64_t nonempty_buckets(const throng__hist_t *h)
{
    uint64_t n = 0;
    if (h->count == 0) return 0;
    size_t end = last_index(h);
    for (size_t i = first_index(h); i <= end; i++)
        n += h->counts[i] != 0;
    return n;
}

size_t throng__hist_serialize(const throng__hist_t *h, uint8_t *buf, size_t cap)
{
    writer_t w = {buf, cap, 0};
    put_header(&w, h, nonempty_buckets(h));
    size_t i = 0, next = 0;
    uint64_t lo, hi, count;
    while (throng__hist_next(h, &i, &lo, &hi, &count)) {
        put_varint(&w, i - 1 - next);
        put_varint(&w, count);
        next = i;
    }
    return w.len;
}

/* A bounded reader: every byte is fetched through get_varint, which fails
 * rather than step past the end. */
typedef struct reader {
    const uint8_t *buf;
    size_t len, pos;
} reader_t;

/* Reads a minimal LEB128 value of at most 64 bits: a 10th byte may only
 * hold the top bit, and a last byte of 0 would be a second spelling. */
static int get_varint(reader_t *r, uint64_t *out)
{
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (r->pos >= r->len) return -1;
        uint8_t b = r->buf[r->pos++];
        if (shift == 63 && b > 1) return -1;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            if (b == 0 && shift > 0) return -1;
            *out = v;
            return 0;
        }
    }
    return -1;
}

/* The header fields, read in order into h and *min (stored inverted only
 * once the histogram is known not to be empty). */
static int get_header(reader_t *r, throng__hist_t *h, uint64_t *min, uint64_t *buckets)
{
    if (r->len < sizeof magic || memcmp(r->buf, magic, sizeof magic) != 0) return -1;
    r->pos = sizeof magic;
    uint64_t *fields[] = {&h->count, &h->sum_lo, &h->sum_hi, min, &h->max, &h->overflow, buckets};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (get_varint(r, fields[i]) != 0) return -1;
    return 0;
}

/* Reads the (gap, count) pairs into h->counts, refusing an index past the
 * top, an empty listed bucket, and counts whose sum wraps. */
static int get_buckets(reader_t *r, throng__hist_t *h, uint64_t n, size_t *first, size_t *last)
{
    uint64_t total = 0, gap, count;
    size_t next = 0;
    for (uint64_t k = 0; k < n; k++) {
        if (get_varint(r, &gap) != 0 || get_varint(r, &count) != 0) return -1;
        if (gap >= THRONG__HIST_BUCKETS - next || count == 0) return -1;
        size_t i = next + (size_t)gap;
        if (__builtin_add_overflow(total, count, &total)) return -1;
        h->counts[i] = count;
        if (k == 0) *first = i;
        *last = i;
        next = i + 1;
    }
    return total == h->count ? 0 : -1;
}

/* The header must agree with the buckets, since merge and the percentile
 * walk trust min and max to bound the non-empty buckets. */
static int check_consistent(const throng__hist_t *h, uint64_t min, size_t first, size_t last)
{
    if (min > h->max) return -1;
    if (first != clamped_index(min) || last != clamped_index(h->max)) return -1;
    if (h->overflow > h->counts[TOP_INDEX]) return -1;
    return (h->overflow > 0) == (h->max >= THRONG__HIST_LIMIT) ? 0 : -1;
}

/* An empty histogram has one spelling: every field 0. */
static int check_empty(const throng__hist_t *h, uint64_t min, uint64_t buckets)
{
    return (h->sum_lo | h->sum_hi | min | h->max | h->overflow | buckets) == 0 ? 0 : -1;
}

static int decode(reader_t *r, throng__hist_t *h)
{
    uint64_t min, buckets;
    size_t first = 0, last = 0;
    if (get_header(r, h, &min, &buckets) != 0) return -1;
    if (h->count == 0) {
        if (check_empty(h, min, buckets) != 0) return -1;
    } else {
        if (buckets == 0 || buckets > THRONG__HIST_BUCKETS) return -1;
        if (get_buckets(r, h, buckets, &first, &last) != 0) return -1;
        if (check_consistent(h, min, first, last) != 0) return -1;
        h->min_inv = ~min;
    }
    return r->pos == r->len ? 0 : -1;
}

int throng__hist_deserialize(throng__hist_t *h, const uint8_t *buf, size_t len)
{
    reader_t r = {buf, len, 0};
    throng__hist_init(h);
    if (decode(&r, h) == 0) return 0;
    throng__hist_init(h);
    return -1;
}
