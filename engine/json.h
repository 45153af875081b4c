/* SPDX-License-Identifier: GPL-2.0 */
#ifndef FIO_DMABUF_JSON_H
#define FIO_DMABUF_JSON_H

#include <stdio.h>

/* Write s to f as a JSON string: quotes, backslash and control characters escaped. */
void json_str(FILE *f, const char *s);

#endif
