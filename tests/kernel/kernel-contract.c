/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * The kernel contract: every kernel behaviour the server module and the
 * client helper rely on, one test each.  A failure names the broken
 * assumption.  None of these tests skips because the kernel behaves
 * differently; the only skips are environment limits (no hugetlbfs, no
 * disk filesystem to create a file on), and they say so.
 */

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm-file.h"
#include "test-runner.h"

static size_t
page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

/* A sealable memfd of @p size bytes, filled with @p fill. */
static int
sealable_memfd(size_t size, unsigned char fill)
{
	int fd = memfd_create("kernel-contract",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);
	unsigned char *p;

	check_msg(fd >= 0, "memfd_create(MFD_ALLOW_SEALING) must work: %s",
		  strerror(errno));
	check(ftruncate(fd, (off_t)size) == 0);
	if (fill) {
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		check(p != MAP_FAILED);
		memset(p, fill, size);
		check(munmap(p, size) == 0);
	}
	return fd;
}

static off_t
file_size(int fd)
{
	struct stat st;

	check(fstat(fd, &st) == 0);
	return st.st_size;
}

/* Reopen the file behind @p fd with new access flags, as another process
 * holding it (or receiving it over a socket) could. */
static int
reopen(int fd, int flags)
{
	char path[64];
	int nfd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	nfd = open(path, flags | O_CLOEXEC);
	check_msg(nfd >= 0, "reopen %s: %s", path, strerror(errno));
	return nfd;
}

static uint32_t
fs_magic(int fd)
{
	struct statfs sfs;

	check(fstatfs(fd, &sfs) == 0);
	/* f_type's width differs between ABIs. */
	return (uint32_t)sfs.f_type;
}

TEST(shrink_seal_refuses_shrinking_and_allows_growth)
{
	size_t ps = page_size();
	int fd = sealable_memfd(4 * ps, 0);

	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	errno = 0;
	check_msg(ftruncate(fd, (off_t)ps) < 0 && errno == EPERM,
		  "assumption: ftruncate to a smaller size of an F_SEAL_SHRINK "
		  "file fails with EPERM (got errno %d %s)",
		  errno, strerror(errno));
	errno = 0;
	check_msg(ftruncate(fd, 0) < 0 && errno == EPERM,
		  "assumption: ftruncate(0) of an F_SEAL_SHRINK file fails "
		  "with EPERM (got errno %d)",
		  errno);
	check_msg(file_size(fd) == (off_t)(4 * ps),
		  "assumption: a refused shrink leaves the size unchanged");
	check_msg(ftruncate(fd, (off_t)(8 * ps)) == 0,
		  "assumption: F_SEAL_SHRINK allows growth with ftruncate "
		  "(the client helper grows sealed pools): %s",
		  strerror(errno));
	check_msg(posix_fallocate(fd, 0, (off_t)(16 * ps)) == 0,
		  "assumption: F_SEAL_SHRINK allows growth with "
		  "posix_fallocate");
	check(file_size(fd) == (off_t)(16 * ps));
	check(close(fd) == 0);
}

TEST(punch_hole_is_allowed_under_shrink_seal_and_reads_zeros)
{
	size_t ps = page_size(), i;
	int fd = sealable_memfd(4 * ps, 0xab);
	unsigned char *p, buf[64];
	bool zeros = true, kept = true;

	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) == 0);
	p = mmap(NULL, 4 * ps, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	check_msg(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			    (off_t)ps, (off_t)(2 * ps)) == 0,
		  "assumption: fallocate(PUNCH_HOLE|KEEP_SIZE) is allowed on "
		  "an F_SEAL_SHRINK memfd (the client helper frees unused "
		  "ranges this way): %s",
		  strerror(errno));
	check_msg(file_size(fd) == (off_t)(4 * ps),
		  "assumption: a punched hole keeps the file size");
	/* The mapping must read zeros in the hole, without faulting. */
	for (i = ps; i < 3 * ps; i++)
		zeros = zeros && p[i] == 0;
	for (i = 0; i < ps; i++)
		kept = kept && p[i] == 0xab && p[3 * ps + i] == 0xab;
	check_msg(zeros, "assumption: a punched hole reads back as zeros "
			 "through an existing mapping");
	check_msg(kept, "assumption: punching a hole leaves the bytes "
			"around it unchanged");
	check(pread(fd, buf, sizeof(buf), (off_t)(2 * ps)) ==
	      (ssize_t)sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		zeros = zeros && buf[i] == 0;
	check_msg(zeros, "assumption: a punched hole reads back as zeros "
			 "with pread");
	check(munmap(p, 4 * ps) == 0);
	check(close(fd) == 0);
}

TEST(write_seal_refuses_writable_shared_mappings)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0x11);
	void *p;

	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0);
	errno = 0;
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check_msg(p == MAP_FAILED && errno == EPERM,
		  "assumption: mmap(PROT_WRITE, MAP_SHARED) of an F_SEAL_WRITE "
		  "file fails with EPERM (got %s, errno %d)",
		  p == MAP_FAILED ? "failure" : "a mapping", errno);
	/* What the server does instead: map read-only. */
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	check_msg(p != MAP_FAILED,
		  "assumption: a read-only shared mapping of an F_SEAL_WRITE "
		  "file works (the server maps write-sealed pools read-only): "
		  "%s",
		  strerror(errno));
	check(((unsigned char *)p)[ps - 1] == 0x11);
	check(munmap(p, ps) == 0);
	check(close(fd) == 0);
}

TEST(write_seal_refuses_write_and_pwrite)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0x22);
	unsigned char byte = 0x33;

	check(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0);
	errno = 0;
	check_msg(pwrite(fd, &byte, 1, 0) < 0 && errno == EPERM,
		  "assumption: pwrite to an F_SEAL_WRITE file fails with "
		  "EPERM (errno %d)",
		  errno);
	errno = 0;
	check_msg(write(fd, &byte, 1) < 0 && errno == EPERM,
		  "assumption: write to an F_SEAL_WRITE file fails with EPERM "
		  "(errno %d)",
		  errno);
	check(pread(fd, &byte, 1, 0) == 1);
	check_msg(byte == 0x22, "assumption: a refused write changes nothing");
	check(close(fd) == 0);
}

TEST(write_seal_fails_with_ebusy_while_a_writable_mapping_exists)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0);
	void *p;

	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	errno = 0;
	check_msg(
		fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EBUSY,
		"assumption: F_ADD_SEALS(F_SEAL_WRITE) fails with EBUSY while "
		"a writable shared mapping exists, so a write-sealed file "
		"has no writer left (errno %d)",
		errno);
	check(!(fcntl(fd, F_GET_SEALS) & F_SEAL_WRITE));
	check(munmap(p, ps) == 0);
	check_msg(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) == 0,
		  "assumption: F_SEAL_WRITE can be added once the writable "
		  "mapping is gone: %s",
		  strerror(errno));
	check(close(fd) == 0);
}

TEST(future_write_seal_keeps_old_mappings_and_refuses_new_ones)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0);
	unsigned char *old, byte = 0;
	void *p;

	old = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check(old != MAP_FAILED);
	check_msg(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE) == 0,
		  "assumption: F_SEAL_FUTURE_WRITE can be added while a "
		  "writable mapping exists: %s",
		  strerror(errno));
	old[7] = 0x5a;
	check(pread(fd, &byte, 1, 7) == 1);
	check_msg(byte == 0x5a,
		  "assumption: a writable mapping made before "
		  "F_SEAL_FUTURE_WRITE keeps writing to the file");
	errno = 0;
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	check_msg(p == MAP_FAILED && errno == EPERM,
		  "assumption: a new mmap(PROT_WRITE, MAP_SHARED) after "
		  "F_SEAL_FUTURE_WRITE fails with EPERM (errno %d)",
		  errno);
	errno = 0;
	check_msg(pwrite(fd, &byte, 1, 0) < 0 && errno == EPERM,
		  "assumption: pwrite after F_SEAL_FUTURE_WRITE fails with "
		  "EPERM (errno %d)",
		  errno);
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	check_msg(p != MAP_FAILED,
		  "assumption: read-only shared mappings "
		  "still work after F_SEAL_FUTURE_WRITE: %s",
		  strerror(errno));
	check(((unsigned char *)p)[7] == 0x5a);
	check(munmap(p, ps) == 0);
	check(munmap(old, ps) == 0);
	check(close(fd) == 0);
}

TEST(memfd_without_allow_sealing_reports_seal_seal)
{
	int fd = memfd_create("unsealable", MFD_CLOEXEC);
	int seals;

	check(fd >= 0);
	seals = fcntl(fd, F_GET_SEALS);
	check_msg(seals == F_SEAL_SEAL,
		  "assumption: a memfd created without MFD_ALLOW_SEALING "
		  "reports exactly F_SEAL_SEAL (got %d, errno %d)",
		  seals, errno);
	errno = 0;
	check_msg(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0 && errno == EPERM,
		  "assumption: F_SEAL_SHRINK cannot be added to a memfd "
		  "created without MFD_ALLOW_SEALING (errno %d)",
		  errno);
	check(close(fd) == 0);
}

TEST(dev_shm_files_report_seal_seal_and_cannot_be_sealed)
{
	char name[64];
	int fd, seals, get_errno;

	snprintf(name, sizeof(name), "/sealshm-kernel-%d", (int)getpid());
	fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	check_msg(fd >= 0, "shm_open(%s): %s", name, strerror(errno));
	check(shm_unlink(name) == 0);
	check(ftruncate(fd, (off_t)page_size()) == 0);

	errno = 0;
	seals = fcntl(fd, F_GET_SEALS);
	get_errno = errno;
	/* doc/design.md: /dev/shm files report only F_SEAL_SEAL, or (the
	 * documented alternative) F_GET_SEALS fails with EINVAL.  Either way
	 * they are never sealed, so strict and seal tiers reject them. */
	check_msg(seals == F_SEAL_SEAL || (seals < 0 && get_errno == EINVAL),
		  "assumption: F_GET_SEALS on a /dev/shm file returns exactly "
		  "F_SEAL_SEAL or fails with EINVAL (got %d, errno %d)",
		  seals, get_errno);
	errno = 0;
	check_msg(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0 &&
			  (errno == EPERM || errno == EINVAL),
		  "assumption: F_SEAL_SHRINK cannot be added to a /dev/shm "
		  "file, so only the copy tier can accept one (errno %d)",
		  errno);
	check_msg(fs_magic(fd) == (uint32_t)TMPFS_MAGIC,
		  "assumption: /dev/shm is tmpfs (magic %#x, got %#x)",
		  (unsigned)TMPFS_MAGIC, fs_magic(fd));
	check(close(fd) == 0);
}

/* A temporary file on a filesystem that is neither tmpfs nor hugetlbfs, or
 * -1 when the machine has none we may write to. */
static int
disk_file(void)
{
	static const char *const dirs[] = { ".", "/var/tmp", "/tmp" };
	char path[PATH_MAX];
	uint32_t magic;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/sealshm-kernel-XXXXXX",
			 dirs[i]);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd < 0)
			continue;
		unlink(path);
		magic = fs_magic(fd);
		if (magic != (uint32_t)TMPFS_MAGIC &&
		    magic != (uint32_t)HUGETLBFS_MAGIC)
			return fd;
		close(fd);
	}
	return -1;
}

TEST(disk_files_fail_get_seals_with_einval)
{
	int fd = disk_file(), seals;

	if (fd < 0)
		test_skip("environment limit: no writable directory on a "
			  "disk filesystem (., /var/tmp, /tmp are all tmpfs)");
	check(ftruncate(fd, (off_t)page_size()) == 0);
	errno = 0;
	seals = fcntl(fd, F_GET_SEALS);
	check_msg(seals < 0 && errno == EINVAL,
		  "assumption: F_GET_SEALS on a disk file (fs magic %#x) fails "
		  "with EINVAL (got %d, errno %d)",
		  fs_magic(fd), seals, errno);
	errno = 0;
	check_msg(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) < 0 && errno == EINVAL,
		  "assumption: F_ADD_SEALS on a disk file fails with EINVAL "
		  "(errno %d)",
		  errno);
	check(close(fd) == 0);
}

TEST(memfd_reports_tmpfs_magic)
{
	int fd = sealable_memfd(page_size(), 0);
	enum shm_fs_kind kind;

	check_msg(fs_magic(fd) == (uint32_t)TMPFS_MAGIC,
		  "assumption: fstatfs on a memfd reports TMPFS_MAGIC %#x "
		  "(got %#x)",
		  (unsigned)TMPFS_MAGIC, fs_magic(fd));
	check(shm_file_get_fs_kind(fd, &kind) == 0);
	check(kind == SHM_FS_SHMEM);
	check(close(fd) == 0);
}

static long
meminfo_value(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "re");
	char line[256];
	size_t len = strlen(key);
	long value = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, len) == 0 && line[len] == ':') {
			value = strtol(line + len + 1, NULL, 10);
			break;
		}
	}
	fclose(f);
	return value;
}

TEST(hugetlb_memfd_reports_hugetlbfs_magic)
{
	int fd =
		memfd_create("kernel-contract-huge", MFD_CLOEXEC | MFD_HUGETLB);
	enum shm_fs_kind kind;
	char why[256];

	if (fd < 0 && (errno == EINVAL || errno == ENOENT || errno == ENOMEM ||
		       errno == ENOSPC || errno == ENODEV)) {
		snprintf(
			why, sizeof(why),
			"environment limit, not a broken assumption: "
			"memfd_create(MFD_HUGETLB) fails with %s (no hugetlbfs "
			"in this kernel or no huge pages: HugePages_Total=%ld)",
			strerror(errno), meminfo_value("HugePages_Total"));
		test_skip(why);
	}
	check_msg(fd >= 0, "memfd_create(MFD_HUGETLB): %s", strerror(errno));
	check_msg(fs_magic(fd) == (uint32_t)HUGETLBFS_MAGIC,
		  "assumption: fstatfs on an MFD_HUGETLB memfd reports "
		  "HUGETLBFS_MAGIC %#x, which the server rejects (got %#x)",
		  (unsigned)HUGETLBFS_MAGIC, fs_magic(fd));
	check(shm_file_get_fs_kind(fd, &kind) == 0);
	check(kind == SHM_FS_HUGETLB);
	check(close(fd) == 0);
}

TEST(noexec_seal_is_accepted_or_einval)
{
	int fd =
		memfd_create("kernel-contract-noexec",
			     MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL);
	struct stat st;
	int seals;

	if (fd < 0) {
		check_msg(errno == EINVAL,
			  "assumption: a kernel without MFD_NOEXEC_SEAL fails "
			  "it with EINVAL, which the client helper retries "
			  "without (got %s)",
			  strerror(errno));
		fd = shm_file_create_sealable("kernel-contract-noexec");
		check_msg(fd >= 0, "the retry without MFD_NOEXEC_SEAL works");
		check(close(fd) == 0);
		return;
	}
	seals = fcntl(fd, F_GET_SEALS);
	check_msg(seals >= 0 && (seals & F_SEAL_EXEC),
		  "assumption: MFD_NOEXEC_SEAL sets F_SEAL_EXEC (seals %d)",
		  seals);
	check_msg(!(seals & F_SEAL_SEAL),
		  "assumption: MFD_NOEXEC_SEAL | MFD_ALLOW_SEALING stays "
		  "sealable (seals %d)",
		  seals);
	check(fstat(fd, &st) == 0);
	check_msg(!(st.st_mode & 0111),
		  "assumption: MFD_NOEXEC_SEAL memfds are not executable "
		  "(mode %o)",
		  (unsigned)st.st_mode);
	check(ftruncate(fd, (off_t)page_size()) == 0);
	check_msg(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) == 0,
		  "assumption: F_SEAL_SHRINK can be added to an "
		  "MFD_NOEXEC_SEAL memfd: %s",
		  strerror(errno));
	check(close(fd) == 0);
}

static ssize_t
read_own_memory(void *dst, const void *src, size_t len)
{
	struct iovec local = { dst, len };
	struct iovec remote = { (void *)src, len };

	return process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
}

TEST(process_vm_readv_beyond_eof_fails_with_efault_not_sigbus)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0x44);
	unsigned char *p, byte = 0;
	ssize_t r;

	/* A real SIGBUS must kill this test, not be caught by anyone. */
	check(signal(SIGBUS, SIG_DFL) != SIG_ERR);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	/* Reserve four pages over a one-page file, as a server may do to
	 * keep pointers stable across growth. */
	p = mmap(NULL, 4 * ps, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);

	r = read_own_memory(&byte, p + ps - 1, 1);
	check_msg(r == 1 && byte == 0x44,
		  "assumption: process_vm_readv of an own mapping inside the "
		  "file reads it (r %zd, errno %d)",
		  r, errno);
	errno = 0;
	r = read_own_memory(&byte, p + 4 * ps - 1, 1);
	check_msg(r < 0 && errno == EFAULT,
		  "assumption: process_vm_readv of an own shared mapping "
		  "beyond the end of a shmem file fails with EFAULT instead "
		  "of raising SIGBUS (r %zd, errno %d)",
		  r, errno);

	/* Growth makes the reserved range valid with no remapping. */
	check(ftruncate(fd, (off_t)(4 * ps)) == 0);
	byte = 0x55;
	check(pwrite(fd, &byte, 1, (off_t)(4 * ps - 1)) == 1);
	byte = 0;
	r = read_own_memory(&byte, p + 4 * ps - 1, 1);
	check_msg(r == 1 && byte == 0x55,
		  "assumption: once the file grew, the same probe of the "
		  "existing mapping succeeds and sees the file's bytes "
		  "(r %zd, errno %d, byte %#x)",
		  r, errno, byte);
	check(p[4 * ps - 1] == 0x55);
	check(munmap(p, 4 * ps) == 0);
	check(close(fd) == 0);
}

TEST(reading_a_mapped_shrink_sealed_file_never_faults)
{
	size_t ps = page_size(), size = 64 * ps, i;
	int fd = sealable_memfd(size, 0x01);
	unsigned char *p;
	unsigned long sum = 0;
	int status;
	pid_t pid;

	check(signal(SIGBUS, SIG_DFL) != SIG_ERR);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_SEAL) == 0);
	p = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);

	/* Another process holding the fd does its worst. */
	pid = fork();
	check(pid >= 0);
	if (pid == 0) {
		bool ok = ftruncate(fd, 0) < 0 && errno == EPERM &&
			  ftruncate(fd, (off_t)ps) < 0 && errno == EPERM &&
			  fallocate(fd,
				    FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				    0, (off_t)(size / 2)) == 0;
		_exit(ok ? 0 : 1);
	}
	check(waitpid(pid, &status, 0) == pid);
	check_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "assumption: another holder of a SHRINK-sealed fd gets EPERM "
		  "from ftruncate and can only punch holes");
	check(file_size(fd) == (off_t)size);

	/* Every byte of the mapping is readable: zeros in the hole, the
	 * fill elsewhere.  A fault would kill this process with SIGBUS. */
	for (i = 0; i < size; i++)
		sum += p[i];
	check_msg(sum == size / 2,
		  "assumption: a SHRINK-sealed file mapped within its size "
		  "reads completely after its holder tried to shrink it "
		  "(sum %lu, expected %zu)",
		  sum, size / 2);
	check(munmap(p, size) == 0);
	check(close(fd) == 0);
}

TEST(add_seals_on_a_read_only_fd_fails_with_eperm)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0), ro;

	ro = reopen(fd, O_RDONLY);
	errno = 0;
	check_msg(fcntl(ro, F_ADD_SEALS, F_SEAL_SHRINK) < 0 && errno == EPERM,
		  "assumption: F_ADD_SEALS on an fd opened read-only fails "
		  "with EPERM, so the seal tier cannot seal such an fd "
		  "(errno %d)",
		  errno);
	check(fcntl(ro, F_GET_SEALS) == 0);
	check(close(ro) == 0);
	check(close(fd) == 0);
}

TEST(read_only_fd_refuses_writable_shared_mapping)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0), ro;
	bool writable = true;
	void *p;

	ro = reopen(fd, O_RDONLY);
	check(shm_file_is_writable(ro, &writable) == 0);
	check(!writable);
	errno = 0;
	p = mmap(NULL, ps, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0);
	/* EACCES here, unlike EPERM for a write seal: the server must test
	 * the access mode itself rather than infer it from the errno. */
	check_msg(p == MAP_FAILED && errno == EACCES,
		  "assumption: mmap(PROT_WRITE, MAP_SHARED) of a read-only fd "
		  "fails with EACCES (got %s, errno %d)",
		  p == MAP_FAILED ? "failure" : "a mapping", errno);
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, ro, 0);
	check(p != MAP_FAILED);
	check(munmap(p, ps) == 0);
	check(close(ro) == 0);
	check(close(fd) == 0);
}

/*
 * The server maps a client's new file over its own earlier mapping
 * (MAP_FIXED) and learns a read-only fd from EACCES there too: the kernel
 * must refuse before it touches the range, which then still holds the
 * earlier mapping, unchanged.
 */
TEST(map_fixed_of_a_read_only_fd_fails_before_touching_the_range)
{
	size_t ps = page_size();
	int old = sealable_memfd(4 * ps, 0), fd = sealable_memfd(4 * ps, 0);
	int ro = reopen(fd, O_RDONLY);
	unsigned char *p, *q;

	p = mmap(NULL, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED, old, 0);
	check(p != MAP_FAILED);
	memset(p, 0x5a, 4 * ps);
	errno = 0;
	q = mmap(p, 4 * ps, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, ro,
		 0);
	check_msg(q == MAP_FAILED && errno == EACCES,
		  "assumption: a MAP_FIXED writable shared mapping of a "
		  "read-only fd fails with EACCES (got %s, errno %d)",
		  q == MAP_FAILED ? "failure" : "a mapping", errno);
	for (size_t i = 0; i < 4 * ps; i += ps)
		check_msg(p[i] == 0x5a && p[i + ps - 1] == 0x5a,
			  "assumption: the failed mmap left the range's "
			  "mapping alone (page %zu changed)",
			  i / ps);
	/* And a private mapping of it replaces the range in one call. */
	q = mmap(p, 4 * ps, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_NORESERVE | MAP_FIXED, ro, 0);
	check(q == p && q[0] == 0 && q[4 * ps - 1] == 0);
	check(munmap(q, 4 * ps) == 0);
	check(close(ro) == 0);
	check(close(fd) == 0);
	check(close(old) == 0);
}

/*
 * After a failed mmap over its own range the server looks the range up in
 * /proc/self/maps by device and inode: a memfd mapping's line must carry
 * fstat's st_dev (as major:minor) and st_ino.
 */
TEST(proc_maps_shows_a_memfd_mapping_with_its_fstat_identity)
{
	size_t ps = page_size();
	int fd = sealable_memfd(ps, 0);
	unsigned long start, end, ino;
	unsigned int major_dev, minor_dev;
	bool found = false;
	struct stat st;
	char line[512];
	FILE *maps;
	void *p;

	check(fstat(fd, &st) == 0);
	p = mmap(NULL, ps, PROT_READ, MAP_SHARED, fd, 0);
	check(p != MAP_FAILED);
	maps = fopen("/proc/self/maps", "re");
	check(maps);
	while (!found && fgets(line, sizeof(line), maps))
		found = sscanf(line, "%lx-%lx %*s %*x %x:%x %lu", &start, &end,
			       &major_dev, &minor_dev, &ino) == 5 &&
			start == (uintptr_t)p;
	fclose(maps);
	check_msg(found, "assumption: /proc/self/maps lists the mapping");
	check_msg(end == (uintptr_t)p + ps && ino == st.st_ino &&
			  makedev(major_dev, minor_dev) == st.st_dev,
		  "assumption: /proc/self/maps shows a memfd mapping with "
		  "fstat's device and inode (got %x:%x %lu, fstat %ju %ju)",
		  major_dev, minor_dev, ino, (uintmax_t)st.st_dev,
		  (uintmax_t)st.st_ino);
	check(munmap(p, ps) == 0);
	check(close(fd) == 0);
}

TEST(shrink_seal_cannot_be_removed)
{
	size_t ps = page_size();
	int fd = sealable_memfd(2 * ps, 0), other;

	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK) == 0);
	/* There is no "remove" operation: adding nothing keeps the seal. */
	check(fcntl(fd, F_ADD_SEALS, 0) == 0);
	check_msg(fcntl(fd, F_GET_SEALS) & F_SEAL_SHRINK,
		  "assumption: F_SEAL_SHRINK stays after F_ADD_SEALS(0)");
	/* Seals belong to the file, not the fd: a fresh read-write open of
	 * the same file (as the receiver of the fd could do) sees it. */
	other = reopen(fd, O_RDWR);
	check_msg(fcntl(other, F_GET_SEALS) & F_SEAL_SHRINK,
		  "assumption: seals belong to the file, so every fd of it "
		  "reports F_SEAL_SHRINK");
	errno = 0;
	check_msg(ftruncate(other, (off_t)ps) < 0 && errno == EPERM,
		  "assumption: no fd of a SHRINK-sealed file can shrink it "
		  "(errno %d)",
		  errno);
	check(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL) == 0);
	errno = 0;
	check_msg(fcntl(other, F_ADD_SEALS, F_SEAL_WRITE) < 0 && errno == EPERM,
		  "assumption: after F_SEAL_SEAL no seal can be changed "
		  "(errno %d)",
		  errno);
	check(fcntl(other, F_GET_SEALS) == (F_SEAL_SHRINK | F_SEAL_SEAL));
	check(close(other) == 0);
	check(close(fd) == 0);
}

/*
 * The server skips fstatfs for files on the memfd device: every memfd
 * made without MFD_HUGETLB lives on the kernel's one internal shmem mount,
 * so they all share one st_dev, also across processes, while the kernel
 * runs; and no file of any other filesystem has that device.
 */
TEST(memfds_share_one_device_that_nothing_else_has)
{
	int fds[3] = {
		memfd_create("a", MFD_CLOEXEC),
		memfd_create("b", MFD_CLOEXEC | MFD_ALLOW_SEALING),
		shm_file_create_sealable("c"),
	};
	struct stat st[3], other;
	int pipefd[2], child, status;
	struct statfs sfs;

	for (int i = 0; i < 3; i++) {
		check(fds[i] >= 0);
		check(fstat(fds[i], &st[i]) == 0);
		check_msg(st[i].st_dev == st[0].st_dev,
			  "memfd %d on device 0x%jx, memfd 0 on 0x%jx", i,
			  (uintmax_t)st[i].st_dev, (uintmax_t)st[0].st_dev);
	}
	check(fstatfs(fds[0], &sfs) == 0);
	check((uint32_t)sfs.f_type == (uint32_t)TMPFS_MAGIC);
	/* Another process's memfd: the same device. */
	check(pipe(pipefd) == 0);
	child = fork();
	check(child >= 0);
	if (child == 0) {
		struct stat cst;
		int fd = memfd_create("child", MFD_CLOEXEC);

		_exit(fd >= 0 && fstat(fd, &cst) == 0 &&
				      write(pipefd[1], &cst.st_dev,
					    sizeof(cst.st_dev)) ==
					      (ssize_t)sizeof(cst.st_dev)
			      ? 0
			      : 1);
	}
	check(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	      WEXITSTATUS(status) == 0);
	check(read(pipefd[0], &other.st_dev, sizeof(other.st_dev)) ==
	      (ssize_t)sizeof(other.st_dev));
	check(other.st_dev == st[0].st_dev);
	/* Files elsewhere are not on it: /dev/shm (a tmpfs), the root. */
	check(stat("/dev/shm", &other) == 0 && other.st_dev != st[0].st_dev);
	check(stat("/", &other) == 0 && other.st_dev != st[0].st_dev);
	close(pipefd[0]);
	close(pipefd[1]);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
}

/* F_GET_SEALS refuses every non-shmem file without a filesystem call. */
TEST(get_seals_is_einval_on_pipes_and_procfs)
{
	int pipefd[2], fd;

	check(pipe(pipefd) == 0);
	errno = 0;
	check(fcntl(pipefd[0], F_GET_SEALS) == -1 && errno == EINVAL);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	check(fd >= 0);
	errno = 0;
	check(fcntl(fd, F_GET_SEALS) == -1 && errno == EINVAL);
	close(fd);
	close(pipefd[0]);
	close(pipefd[1]);
}
