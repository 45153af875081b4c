// SPDX-License-Identifier: GPL-2.0
/*
 * nvme-id: print an NVMe namespace's identity as one JSON object, read with
 * libnvme (Identify Controller and Identify Namespace). Used by
 * scripts/run-matrix for results/NAME/meta.json.
 *
 *   nvme-id /dev/nvme0n1
 *
 * Exit 0 with the JSON on stdout; 1 with a message on stderr.
 * Build: cc -Wall -Wextra -Werror -O2 -o build/nvme-id scripts/nvme-id.c \
 *        -lnvme  (pkg-config libnvme also wants json-c's .pc, absent here)
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <libnvme.h>

/* Print a fixed-width, space-padded identify string as a JSON string. */
static void print_str(const char *key, const char *s, size_t len, int last)
{
	size_t i;

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\0'))
		len--;
	printf("  \"%s\": \"", key);
	for (i = 0; i < len; i++) {
		unsigned char c = s[i];

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	printf("\"%s\n", last ? "" : ",");
}

int main(int argc, char **argv)
{
	struct nvme_id_ctrl ctrl;
	struct nvme_id_ns ns;
	unsigned int flbas, ds;
	__u32 nsid;
	int fd, err;

	if (argc != 2) {
		fprintf(stderr, "usage: nvme-id /dev/nvmeXnY\n");
		return 1;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "nvme-id: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = nvme_get_nsid(fd, &nsid);
	if (err) {
		fprintf(stderr,
			"nvme-id: %s: not an NVMe namespace (%s); give /dev/nvmeXnY\n",
			argv[1], err < 0 ? strerror(errno) : "NVMe status error");
		goto err_close;
	}
	err = nvme_identify_ctrl(fd, &ctrl);
	if (err) {
		fprintf(stderr, "nvme-id: %s: Identify Controller failed (%s)\n",
			argv[1], err < 0 ? strerror(errno) : "NVMe status error");
		goto err_close;
	}
	err = nvme_identify_ns(fd, nsid, &ns);
	if (err) {
		fprintf(stderr, "nvme-id: %s: Identify Namespace %u failed (%s)\n",
			argv[1], nsid, err < 0 ? strerror(errno) : "NVMe status error");
		goto err_close;
	}
	close(fd);

	/* FLBAS bits 3:0 plus bits 6:5 as the upper bits (NVMe 2.0). */
	flbas = (ns.flbas & 0xf) | ((ns.flbas >> 1) & 0x30);
	ds = ns.lbaf[flbas & 0x3f].ds;

	printf("{\n");
	printf("  \"source\": \"libnvme\",\n");
	print_str("model", ctrl.mn, sizeof(ctrl.mn), 0);
	print_str("firmware", ctrl.fr, sizeof(ctrl.fr), 0);
	printf("  \"vid\": \"0x%04x\",\n", le16toh(ctrl.vid));
	printf("  \"ver\": \"0x%08x\",\n", le32toh(ctrl.ver));
	printf("  \"mdts\": %u,\n", ctrl.mdts);
	printf("  \"nsid\": %u,\n", nsid);
	printf("  \"nsze_blocks\": %llu,\n",
	       (unsigned long long)le64toh(ns.nsze));
	printf("  \"lba_format\": {\"index\": %u, \"data_bytes\": %u, "
	       "\"metadata_bytes\": %u, \"relative_performance\": %u}\n",
	       flbas, ds < 32 ? 1u << ds : 0, le16toh(ns.lbaf[flbas & 0x3f].ms),
	       ns.lbaf[flbas & 0x3f].rp & 0x3);
	printf("}\n");
	return 0;

err_close:
	close(fd);
	return 1;
}
