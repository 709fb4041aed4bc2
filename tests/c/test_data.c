/* test_data.c - the data-file parsers of lua/lua_data.c on buffers of
 * exactly the text's length (AddressSanitizer catches a read past the end):
 * RFC 4180 quoting, CRLF and LF, empty fields and lines, the header, errors
 * naming the line; every prefix of a file either parses or fails with a
 * message, never reads beyond it; JSON arrays become rows. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "lua/lua_data.h"

static char msg[400];

/* Parses a copy of text held in a buffer of exactly its length. */
static int parse(throng__data_store_t *s, const char *text, size_t len, int header, int json)
{
    char *copy = malloc(len ? len : 1);
    if (!copy) abort();
    memcpy(copy, text, len);
    memset(s, 0, sizeof *s);
    msg[0] = '\0';
    int rc = json ? throng__data_parse_json(s, copy, len, "f.json", msg, sizeof msg)
                  : throng__data_parse_csv(s, copy, len, header, "f.csv", msg, sizeof msg);
    free(copy);
    return rc;
}

static int csv(throng__data_store_t *s, const char *text, int header)
{
    return parse(s, text, strlen(text), header, 0);
}

/* Field col (0-based) of row (0-based; -1: the header), as a string. */
static const char *field(const throng__data_store_t *s, long row, size_t col)
{
    static char out[256];
    size_t k = (row < 0 ? s->row[0] - s->ncols : s->row[row]) + col;
    size_t n = s->off[k + 1] - s->off[k];
    memcpy(out, s->text + s->off[k], n);
    out[n] = '\0';
    return out;
}

static size_t width(const throng__data_store_t *s, size_t row)
{
    return s->row[row + 1] - s->row[row];
}

static void test_quotes_and_line_ends(void)
{
    throng__data_store_t s;
    CHECK_INT(csv(&s, "a,b\r\n\"x, y\",\"say \"\"hi\"\"\"\n\"two\r\nlines\",\"\"\r\n", 1), 0);
    CHECK_INT(s.ncols, 2);
    CHECK_INT(s.nrows, 2);
    CHECK_STR(field(&s, -1, 0), "a");
    CHECK_STR(field(&s, -1, 1), "b");
    CHECK_STR(field(&s, 0, 0), "x, y");
    CHECK_STR(field(&s, 0, 1), "say \"hi\"");
    CHECK_STR(field(&s, 1, 0), "two\r\nlines");
    CHECK_STR(field(&s, 1, 1), "");
    throng__data_store_free(&s);
}

static void test_empty_fields_and_lines(void)
{
    throng__data_store_t s;
    /* A BOM, empty lines anywhere, no line end at the end. */
    CHECK_INT(csv(&s, "\xEF\xBB\xBFk,v,w\n\n,,\r\n\r\n1,,3", 1), 0);
    CHECK_INT(s.nrows, 2);
    CHECK_STR(field(&s, -1, 0), "k");
    CHECK_STR(field(&s, 0, 0), "");
    CHECK_STR(field(&s, 0, 2), "");
    CHECK_STR(field(&s, 1, 0), "1");
    CHECK_STR(field(&s, 1, 1), "");
    CHECK_STR(field(&s, 1, 2), "3");
    throng__data_store_free(&s);

    /* Without a header: every record a row, of any width; a lone CR is data. */
    CHECK_INT(csv(&s, "a,b\nc\n,\nx\ry\n", 0), 0);
    CHECK_INT(s.ncols, 0);
    CHECK_INT(s.nrows, 4);
    CHECK_INT(width(&s, 0), 2);
    CHECK_INT(width(&s, 1), 1);
    CHECK_INT(width(&s, 2), 2);
    CHECK_STR(field(&s, 3, 0), "x\ry");
    throng__data_store_free(&s);

    /* A header and nothing else: no rows. */
    CHECK_INT(csv(&s, "a,b\n", 1), 0);
    CHECK_INT(s.nrows, 0);
    throng__data_store_free(&s);
}

static void test_errors_name_the_line(void)
{
    throng__data_store_t s;
    CHECK_INT(csv(&s, "a,b\n1,2\n3,x\"y\n", 1), -1);
    CHECK(strncmp(msg, "f.csv:3: bad quote: a quote inside", 34) == 0);
    CHECK_INT(csv(&s, "a,b\n\"1\"x,2\n", 1), -1);
    CHECK_STR(msg, "f.csv:2: bad quote: text after a field's closing quote");
    /* Unterminated: the line where the quote opened, not the last. */
    CHECK_INT(csv(&s, "a,b\n1,\"open\n2,3\n4,5\n", 1), -1);
    CHECK_STR(msg, "f.csv:2: bad quote: the quoted field opened here never ends");
    /* A row's field count, on the line where the row starts. */
    CHECK_INT(csv(&s, "a,b\n\"x\ny\",1\n1,2,3\n", 1), -1);
    CHECK_STR(msg, "f.csv:4: 3 fields where the header names 2");
    CHECK_INT(csv(&s, "", 1), -1);
    CHECK(strncmp(msg, "f.csv:1: no header row", 22) == 0);
    CHECK_INT(csv(&s, "", 0), 0);
    CHECK_INT(s.nrows, 0);
    throng__data_store_free(&s);
}

/* Every prefix of a file with every construct: parsed or refused with a
 * message, and what parses has consistent offsets. */
static void test_every_prefix(void)
{
    const char *text = "id,\"na,me\"\r\n1,\"a \"\"b\"\"\"\n\n2,\"x\ny\"\r\n3,\n";
    size_t len = strlen(text);
    for (int header = 0; header <= 1; header++) {
        for (size_t n = 0; n <= len; n++) {
            throng__data_store_t s;
            if (parse(&s, text, n, header, 0) != 0) {
                CHECK(msg[0] != '\0');
                continue;
            }
            CHECK_INT(s.off[0], 0);
            for (size_t k = 0; k < s.nfields; k++)
                CHECK(s.off[k] <= s.off[k + 1] && s.off[k + 1] <= n);
            CHECK_INT(s.row[s.nrows], s.nfields);
            throng__data_store_free(&s);
        }
    }
}

static void test_json(void)
{
    throng__data_store_t s;
    const char *text = "[ {\"u\": \"a\", \"n\": 1},\n [1, 2], \"s\", null ]";
    CHECK_INT(parse(&s, text, strlen(text), 0, 1), 0);
    CHECK_INT(s.nrows, 4);
    CHECK(s.json);
    CHECK_STR(field(&s, 0, 0), "{\"u\":\"a\",\"n\":1}");
    CHECK_STR(field(&s, 1, 0), "[1,2]");
    CHECK_STR(field(&s, 2, 0), "\"s\"");
    CHECK_STR(field(&s, 3, 0), "null");
    throng__data_store_free(&s);

    CHECK_INT(parse(&s, "[]", 2, 0, 1), 0);
    CHECK_INT(s.nrows, 0);
    throng__data_store_free(&s);

    CHECK_INT(parse(&s, "{\"a\":[1]}", 9, 0, 1), -1);
    CHECK_STR(msg, "f.json: the top level must be an array of rows");
    CHECK_INT(parse(&s, "[1,\n2,\n}", 8, 0, 1), -1);
    CHECK(strncmp(msg, "f.json:3: not valid JSON", 24) == 0);
    /* Truncated anywhere: refused, never read past the end. */
    text = "[{\"a\":\"b\"},[1,2.5],true]";
    for (size_t n = 0; n < strlen(text); n++)
        CHECK_INT(parse(&s, text, n, 0, 1), -1);
}

int main(void)
{
    test_quotes_and_line_ends();
    test_empty_fields_and_lines();
    test_errors_name_the_line();
    test_every_prefix();
    test_json();
    return check_result("test_data");
}
