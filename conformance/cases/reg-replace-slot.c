// SPDX-License-Identifier: GPL-2.0
/*
 * reg-replace-slot: a slot holding dma-buf A updated with a descriptor for
 * dma-buf B (notes 1.2 step 5: replacing a slot frees the old node
 * asynchronously, after in-flight I/O). A read through the slot then lands
 * in B (checked against pread) and leaves A untouched; once the user has
 * closed A too, A must leave the kernel (debugfs dma_buf/bufinfo): the
 * replaced registration dropped its references.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"

int main(void)
{
	struct dmabuf_export a, b;
	struct io_uring ring;
	unsigned long ino_a;
	unsigned char *cpu;
	size_t i;
	int ret;

	conf_init();
	conf_need_series();
	conf_no_page_cache();
	conf_dmabuf(&a, "udmabuf", 128 << 10);
	conf_dmabuf(&b, "udmabuf", 128 << 10);
	ino_a = conf_dmabuf_ino(a.chunks[0].fd);
	conf_ring(&ring, 8, 0);
	conf_table(&ring, 1);
	conf_dev_pattern(&conf.dev, 0, 1 << 20, 33);
	conf_register(&ring, 0, a.chunks[0].fd, conf.dev.fd);
	conf_check_read(&ring, &conf.dev, conf.dev.fd, 0, &a, 0, 65536, 0);

	conf_register(&ring, 0, b.chunks[0].fd, conf.dev.fd);
	conf_cpu_begin(&a);
	memset(a.cpu, 0x3c, a.size);
	conf_cpu_end(&a);
	conf_check_read(&ring, &conf.dev, conf.dev.fd, 0, &b, 0, 65536, 65536);
	conf_check_write(&ring, &conf.dev, conf.dev.fd, 0, &b, 4096, 16384, 512 << 10, 34);
	conf_cpu_begin(&a);
	for (i = 0, cpu = a.cpu; i < a.size; i++)
		if (cpu[i] != 0x3c)
			conf_fail("after the slot was given dma-buf B, a read through it changed the old dma-buf A at byte %zu",
				  i);
	conf_cpu_end(&a);

	export_free(&a);
	ret = conf_dmabuf_wait(ino_a, 0, 10000);
	conf_observe("old_released", "%s", ret == 0 ? "yes" : ret < 0 ? "unknown (no debugfs)" : "no");
	if (ret == 1)
		conf_fail("the replaced dma-buf A is still in the kernel 10 s after the slot took B and the user closed A");
	if (ret < 0)
		conf_pass("the slot now reads into and writes from the new dma-buf, the old one untouched (its release not checked: no debugfs)");
	conf_pass("the slot now reads into and writes from the new dma-buf, the old one untouched, and the old one was released");
}
