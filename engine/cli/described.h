/* described.h - the flags of the layer-cake testing clients that throng run
 * also accepts (--process-count, --thread-count, --client-type,
 * --server-address, --debug-level), turned into throng's own settings. */
#ifndef THRONG_CLI_DESCRIBED_H
#define THRONG_CLI_DESCRIBED_H

#include <stddef.h>

/* --server-address: "host:port", or {"host":"127.0.0.1","port":5050}.
 * Writes "host:port" into out; -1 when text is neither. */
int cli_described_address(const char *text, char *out, size_t len);

/* --debug-level: DEBUG, TRACE, INFO (or CONSOLE), WARNING (or WARN), ERROR
 * (or FAULT), any case. The throng_log_level_t, or -1. */
int cli_described_level(const char *text);

/* --client-type: a persona name or a script path as throng takes them; the
 * described system's own ConnectAndRequest implementations are the table
 * persona. NULL when the type names a Python class throng does not know. */
const char *cli_described_client_type(const char *text);

#endif
