/* demo_cert.h - the certificate `throng demo --tls` makes at its start. */
#ifndef THRONG_CLI_DEMO_CERT_H
#define THRONG_CLI_DEMO_CERT_H

#include <stddef.h>

/* Makes a fresh self-signed certificate for 127.0.0.1 (an EC P-256 key,
 * valid for a day) and writes it with its key to a new owner-only file in
 * $TMPDIR (or /tmp), whose name goes to path: the server serves it and the
 * client trusts it as its one CA. The caller removes the file. 0, or -1
 * with the reason in err. */
int cli_demo_cert(char *path, size_t len, char *err, size_t errlen);

#endif
