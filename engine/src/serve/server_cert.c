/* server_cert.c - a self-signed certificate made in memory for the TLS
 * demo, so that `throng demo --tls` needs no file of the user's. Only the
 * file handed to the server and the client's trust store holds it, for the
 * length of the demo. Public as throng_server_self_signed (throng.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "throng.h"

/* OpenSSL's latest reason, or what. */
static void reason(char *err, size_t errlen, const char *what)
{
    unsigned long code = ERR_get_error();
    char why[256];
    if (code)
        ERR_error_string_n(code, why, sizeof why);
    else
        snprintf(why, sizeof why, "unknown error");
    snprintf(err, errlen, "%s: %s", what, why);
    ERR_clear_error();
}

static int add_ext(X509 *x, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    int ok = ext && X509_add_ext(x, ext, -1) == 1;
    X509_EXTENSION_free(ext);
    return ok;
}

/* The certificate for key: 127.0.0.1, for a day from a minute ago. */
static X509 *make_cert(EVP_PKEY *key)
{
    X509 *x = X509_new();
    unsigned char serial[8];
    if (!x || RAND_bytes(serial, sizeof serial) != 1) goto fail;
    serial[0] &= 0x7f; /* a positive serial number */
    BIGNUM *bn = BN_bin2bn(serial, sizeof serial, NULL);
    int ok = bn && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != NULL;
    BN_free(bn);
    X509_NAME *name = X509_get_subject_name(x);
    if (!ok || X509_set_version(x, 2) != 1 || !X509_gmtime_adj(X509_getm_notBefore(x), -60) ||
        !X509_gmtime_adj(X509_getm_notAfter(x), 86400) || X509_set_pubkey(x, key) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"throng demo",
                                   -1, -1, 0) != 1 ||
        X509_set_issuer_name(x, name) != 1 || !add_ext(x, NID_subject_alt_name, "IP:127.0.0.1") ||
        !add_ext(x, NID_basic_constraints, "critical,CA:TRUE") ||
        !add_ext(x, NID_key_usage, "critical,digitalSignature,keyCertSign") ||
        !add_ext(x, NID_ext_key_usage, "serverAuth") || X509_sign(x, key, EVP_sha256()) == 0)
        goto fail;
    return x;
fail:
    X509_free(x);
    return NULL;
}

int throng_server_self_signed(char *path, size_t len, char *err, size_t errlen)
{
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *cert = key ? make_cert(key) : NULL;
    if (!cert) {
        reason(err, errlen, key ? "cannot make the demo's certificate" : "cannot make a key");
        EVP_PKEY_free(key);
        return -1;
    }
    const char *dir = getenv("TMPDIR");
    snprintf(path, len, "%s/throng-demo-XXXXXX.pem", dir && *dir ? dir : "/tmp");
    int fd = mkstemps(path, 4); /* mode 0600 */
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int rc = -1;
    if (!f) {
        snprintf(err, errlen, "cannot make %s: %s", path, strerror(errno));
        if (fd >= 0) close(fd);
    } else {
        int ok = PEM_write_X509(f, cert) == 1 &&
                 PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
        if (fclose(f) != 0) ok = 0;
        if (ok)
            rc = 0;
        else
            snprintf(err, errlen, "cannot write %s", path);
    }
    if (rc != 0 && fd >= 0) unlink(path);
    X509_free(cert);
    EVP_PKEY_free(key);
    return rc;
}
