/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * A new file per pool, as foot or Qt send: the previous pool's mapping is
 * parked when its last buffer goes, and the next pool, of another file, in
 * the same burst, is mapped over its address range (MAP_FIXED) when its
 * file is sealed F_SEAL_SEAL and fits the range; otherwise the parked one
 * is unmapped first and the pool mapped anew.  Either way the old file is
 * no longer mapped at the next commit.  And every way the mmap over the
 * range can fail: before the kernel touched it, after it left a gap, and
 * after another thread mapped into that gap, which must survive.  The
 * failures come from this executable's own mmap (its definition comes
 * first in the dynamic linker's lookup order; meson.build exports it).
 */

/* Meson builds with -D_FILE_OFFSET_BITS=64, which renames mmap to mmap64
 * in the headers; both names need their own definition here. */
#undef _FILE_OFFSET_BITS

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "server-test.h"
#include "test-client.h"
#include "test-runner.h"

#define KiB 1024
#define INTERPOSE __attribute__((visibility("default")))

static struct fixture *fx;

/* How the next mmap over an existing range (MAP_FIXED with an fd) fails. */
enum fixed_failure {
	FIXED_WORKS = 0,
	FIXED_FAILS_UNTOUCHED,	    /* ENOMEM, the range left as it was */
	FIXED_FAILS_WITH_GAP,	    /* ENOMEM after unmapping the range */
	FIXED_FAILS_REFILLED,	    /* and another mapping moved into the gap */
	FIXED_FAILS_REFILLED_EPERM, /* the same, with EPERM */
};

static enum fixed_failure fixed_failure;
static void *foreign_page;

static void *
do_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fixed_failure && (flags & MAP_FIXED) && fd >= 0) {
		enum fixed_failure how = fixed_failure;

		fixed_failure = FIXED_WORKS;
		if (how >= FIXED_FAILS_WITH_GAP)
			check(syscall(SYS_munmap, addr, len) == 0);
		if (how >= FIXED_FAILS_REFILLED) {
			/* One page in the middle of the gap, as another
			 * thread's mmap could have placed it. */
			foreign_page = (void *)syscall(
				SYS_mmap, (char *)addr + len / 2, 4096,
				PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS |
					MAP_FIXED_NOREPLACE,
				-1, 0);
			check(foreign_page == (char *)addr + len / 2);
		}
		errno = how == FIXED_FAILS_REFILLED_EPERM ? EPERM : ENOMEM;
		return MAP_FAILED;
	}
	return (void *)syscall(SYS_mmap, addr, len, prot, flags, fd, off);
}

INTERPOSE void *
mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

INTERPOSE void *
mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t off)
{
	return do_mmap(addr, len, prot, flags, fd, off);
}

/* The first pool's file, then the second's, each in its own burst. */
struct next_file {
	int32_t first_size, second_size;
	int second_seals;
	/* the second fd is reopened with this access mode */
	bool reopen;
	int access_mode;
	bool same_file;	  /* the second pool is of the first's file */
	bool unsealable;  /* the second is a memfd without ALLOW_SEALING */
	bool copy_policy; /* the server runs the copy policy */
	enum fixed_failure failure; /* of the mmap over the parked range */
	void (*client)(void *data); /* NULL: client_next_file() */
	/* what the commit found */
	struct sealshm_stats stats;
	struct mapping_extent first, second;
	int shm_mappings;
	bool read_only;
};

static void
client_next_file(void *data)
{
	struct next_file *nf = data;
	int x = test_client_make_memfd((uint64_t)nf->first_size,
				       F_SEAL_SHRINK | F_SEAL_SEAL);
	int y = nf->same_file ? dup(x)
		: nf->unsealable
			? memfd_create("unsealable", MFD_CLOEXEC)
			: test_client_make_memfd((uint64_t)nf->second_size,
						 nf->second_seals);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	struct wl_shm_pool *pool =
		wl_shm_create_pool(c->shm, x, nf->first_size);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(
		pool, 0, 16, 16, 64, WL_SHM_FORMAT_ARGB8888);
	char path[64];

	check(y >= 0);
	if (nf->unsealable)
		check(ftruncate(y, nf->second_size) == 0);
	/* The first commit records where the first pool is mapped. */
	client_commit(c, surface, buffer);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	close(x);
	if (nf->reopen) {
		int reopened;

		snprintf(path, sizeof(path), "/proc/self/fd/%d", y);
		reopened = open(path, nf->access_mode | O_CLOEXEC);
		check(reopened >= 0);
		close(y);
		y = reopened;
	}
	if (nf->failure || (nf->reopen && nf->access_mode == O_WRONLY)) {
		pool = wl_shm_create_pool(c->shm, y, nf->second_size);
		close(y);
		client_expect_error(c, &wl_shm_interface,
				    WL_SHM_ERROR_INVALID_FD);
		wl_shm_pool_destroy(pool);
	} else {
		client_commit_fd(c, surface, y, nf->second_size, 0, 16, 16, 64,
				 WL_SHM_FORMAT_ARGB8888);
	}
	wl_surface_destroy(surface);
	test_client_destroy(c);
}

static void
record_next_file(struct wl_resource *surface, struct wl_resource *resource,
		 void *data)
{
	struct next_file *nf = data;
	struct sealshm_buffer *buffer = sealshm_buffer_from_resource(resource);
	void *pixels = sealshm_buffer_get_data(buffer);

	if (!nf->first.start) {
		nf->first = mapping_of(pixels);
		fixed_failure = nf->failure;
		return;
	}
	nf->second = mapping_of(pixels);
	nf->read_only = sealshm_buffer_is_read_only(buffer);
	nf->shm_mappings = test_count_shm_mappings() - fx->maps_baseline;
	sealshm_get_stats(fx->shm, &nf->stats, sizeof(nf->stats));
}

static void
run_next_file(struct next_file *nf)
{
	struct sealshm_options opts = {
		.size = sizeof(opts),
		.policy = nf->copy_policy ? SEALSHM_POLICY_COPY
					  : SEALSHM_POLICY_STRICT,
	};

	fx = fixture_create(&opts, record_next_file, nf);
	test_display_spawn(fx->d, nf->client ? nf->client : client_next_file,
			   nf);
	fixture_run(fx);
	if (!nf->second.start)
		sealshm_get_stats(fx->shm, &nf->stats, sizeof(nf->stats));
	fixture_check_baseline(fx);
	fixture_destroy(fx);
}

/* 128 KiB reserve 512 KiB; 64 KiB alone would reserve 256 KiB. */
#define FIRST (128 * KiB)
#define SECOND (64 * KiB)
#define FROZEN (F_SEAL_SHRINK | F_SEAL_SEAL)

static void
check_took_over(const struct next_file *nf, const char *perms)
{
	check(nf->first.end - nf->first.start == 512 * KiB);
	check_msg(nf->second.start == nf->first.start &&
			  nf->second.end == nf->first.end,
		  "second pool at %#jx-%#jx, first at %#jx-%#jx",
		  (uintmax_t)nf->second.start, (uintmax_t)nf->second.end,
		  (uintmax_t)nf->first.start, (uintmax_t)nf->first.end);
	check_msg(strcmp(nf->second.perms, perms) == 0, "%s", nf->second.perms);
	/* The first file is no longer mapped, nor its fd held. */
	check_msg(nf->shm_mappings == 1, "%d shm mappings", nf->shm_mappings);
	check(nf->stats.map_calls == 2 && nf->stats.mappings == 1);
	check(nf->stats.fds == 1);
}

/* A new range of the second pool's own size, the first one gone. */
static void
check_mapped_anew(const struct next_file *nf, size_t range)
{
	check_msg(nf->second.end - nf->second.start == range, "%ju bytes",
		  (uintmax_t)(nf->second.end - nf->second.start));
	check_msg(nf->shm_mappings == 1, "%d shm mappings", nf->shm_mappings);
	check(nf->stats.map_calls == 2 && nf->stats.mappings == 1);
}

TEST(sealed_file_takes_over_the_parked_range)
{
	struct next_file nf = {
		.first_size = FIRST,
		.second_size = SECOND,
		.second_seals = FROZEN,
	};

	run_next_file(&nf);
	check_took_over(&nf, "rw-s");
}

/* The shared mapping fails with EACCES before the range is touched. */
TEST(read_only_fd_takes_over_the_parked_range_privately)
{
	struct next_file nf = {
		.first_size = FIRST,
		.second_size = SECOND,
		.second_seals = FROZEN,
		.reopen = true,
		.access_mode = O_RDONLY,
	};

	run_next_file(&nf);
	check_took_over(&nf, "rw-p");
	check(nf.read_only);
}

/* Known read-only from its seals: mapped privately at once. */
TEST(write_sealed_file_takes_over_the_parked_range_privately)
{
	struct next_file nf = {
		.first_size = FIRST,
		.second_size = SECOND,
		.second_seals = FROZEN | F_SEAL_WRITE,
	};

	run_next_file(&nf);
	check_took_over(&nf, "rw-p");
	check(nf.read_only);
}

/* The same inode through a read-only fd is a file of its own. */
TEST(same_file_read_only_takes_over_its_own_parked_range)
{
	struct next_file nf = {
		.first_size = FIRST,
		.second_size = FIRST,
		.same_file = true,
		.reopen = true,
		.access_mode = O_RDONLY,
	};

	run_next_file(&nf);
	check_took_over(&nf, "rw-p");
}

/* Its seals could still change: unmapped, then mapped anew. */
TEST(unfrozen_file_maps_anew_once_the_parked_range_goes)
{
	struct next_file nf = {
		.first_size = FIRST,
		.second_size = SECOND,
		.second_seals = F_SEAL_SHRINK,
	};

	run_next_file(&nf);
	check_mapped_anew(&nf, 256 * KiB);
}

/* 64 KiB reserve 256 KiB, less than the 128 KiB pool's 512 KiB range. */
TEST(larger_pool_maps_anew_once_the_parked_range_goes)
{
	struct next_file nf = {
		.first_size = SECOND,
		.second_size = FIRST,
		.second_seals = FROZEN,
	};

	run_next_file(&nf);
	check(nf.first.end - nf.first.start == 256 * KiB);
	check_mapped_anew(&nf, 512 * KiB);
}

/* 256 KiB reserve 1 MiB, more than twice the 64 KiB pool's 256 KiB. */
TEST(much_smaller_pool_maps_anew_once_the_parked_range_goes)
{
	struct next_file nf = {
		.first_size = 256 * KiB,
		.second_size = SECOND,
		.second_seals = FROZEN,
	};

	run_next_file(&nf);
	check(nf.first.end - nf.first.start == 1024 * KiB);
	check_mapped_anew(&nf, 256 * KiB);
}

/* A copied pool maps nothing: the parked mapping goes at its create. */
TEST(copied_pool_releases_the_parked_range)
{
	struct next_file nf = {
		.first_size = FIRST,
		.second_size = SECOND,
		.unsealable = true,
		.copy_policy = true,
	};

	run_next_file(&nf);
	check_msg(nf.shm_mappings == 0, "%d shm mappings", nf.shm_mappings);
	check(nf.stats.pools_accepted_by_tier[2] == 1);
	check(nf.stats.mappings == 0 && nf.stats.fds == 1);
}

/* Refused, and the parked range is given back (the baseline check). */
TEST(write_only_fd_over_the_parked_range_is_refused)
{
	struct next_file nf = {
		.first_size = FIRST,
		.second_size = SECOND,
		.second_seals = FROZEN,
		.reopen = true,
		.access_mode = O_WRONLY,
	};

	run_next_file(&nf);
	check(nf.second.start == 0);
	check(nf.stats.pools_rejected == 1 &&
	      nf.stats.pools_rejected_by_reason[SEALSHM_REJECT_NOT_REGULAR] ==
		      1);
	check(nf.stats.mappings == 0 && nf.stats.fds == 0);
}

/*
 * A pool of a file the client already has mapped reuses that mapping; the
 * parked mapping of another file is not taken over then, and goes.
 */
static void
client_known_file_beside_parked(void *data)
{
	int x = test_client_make_memfd(FIRST, FROZEN);
	int y = test_client_make_memfd(SECOND, FROZEN);
	struct test_client *c = test_client_connect();
	struct wl_surface *surface =
		wl_compositor_create_surface(c->compositor);
	struct wl_shm_pool *live = wl_shm_create_pool(c->shm, y, SECOND);
	struct wl_buffer *kept = wl_shm_pool_create_buffer(
		live, 0, 16, 16, 64, WL_SHM_FORMAT_ARGB8888);
	struct wl_shm_pool *pool = wl_shm_create_pool(c->shm, x, FIRST);
	struct wl_buffer *buffer = wl_shm_pool_create_buffer(
		pool, 0, 16, 16, 64, WL_SHM_FORMAT_ARGB8888);

	client_commit(c, surface, buffer);
	wl_buffer_destroy(buffer);
	wl_shm_pool_destroy(pool);
	close(x);
	client_commit_fd(c, surface, y, SECOND, 0, 16, 16, 64,
			 WL_SHM_FORMAT_ARGB8888);
	wl_buffer_destroy(kept);
	wl_shm_pool_destroy(live);
	wl_surface_destroy(surface);
	test_client_destroy(c);
	(void)data;
}

TEST(pool_reusing_a_mapping_releases_the_parked_range)
{
	struct next_file nf = {
		.first_size = FIRST,
		.client = client_known_file_beside_parked,
	};

	run_next_file(&nf);
	check(nf.stats.mappings_reused == 1);
	check_msg(nf.shm_mappings == 1, "%d shm mappings", nf.shm_mappings);
	check(nf.stats.mappings == 1);
}

/*
 * The second pool, whose mmap over the parked range fails as @p failure:
 * refused as map-failed, and nothing of either file stays mapped or open
 * (run_next_file() checks the baseline).
 */
static void
run_failed_takeover(struct next_file *nf, enum fixed_failure failure)
{
	*nf = (struct next_file){
		.first_size = FIRST,
		.second_size = SECOND,
		.second_seals = FROZEN,
		.failure = failure,
	};
	run_next_file(nf);
	check(fixed_failure == FIXED_WORKS);
	check(nf->stats.pools_rejected_by_reason[SEALSHM_REJECT_MAP_FAILED] ==
	      1);
	check(nf->stats.mappings == 0 && nf->stats.fds == 0);
}

/*
 * The kernel refused before touching the range (vm.max_map_count, an
 * LSM): the parked mapping is still there and is unmapped.
 */
TEST(failed_mmap_over_an_untouched_range_unmaps_it)
{
	struct next_file nf;

	run_failed_takeover(&nf, FIXED_FAILS_UNTOUCHED);
}

/*
 * The kernel failed after unmapping the range: nothing is left to unmap,
 * and the old mapping leaves the budgets all the same.
 */
TEST(failed_mmap_that_left_a_gap_forgets_the_range)
{
	struct next_file nf;

	run_failed_takeover(&nf, FIXED_FAILS_WITH_GAP);
}

/* What another thread mapped into the gap, after either error. */
static void
check_foreign_page_survived(void)
{
	struct mapping_extent page;

	check(foreign_page);
	page = mapping_of(foreign_page);
	check(page.start == (uintptr_t)foreign_page &&
	      page.end == (uintptr_t)foreign_page + 4096);
	check(munmap(foreign_page, 4096) == 0);
	foreign_page = NULL;
}

/*
 * Another thread mapped into the gap before sealshm looked: its mapping
 * is not sealshm's to unmap, and survives.
 */
TEST(failed_mmap_never_unmaps_what_moved_into_the_gap)
{
	struct next_file nf;

	run_failed_takeover(&nf, FIXED_FAILS_REFILLED);
	check_foreign_page_survived();
}

/*
 * EPERM over a range is no cue to retry privately there: that would map
 * over the other thread's page.
 */
TEST(eperm_over_the_range_is_not_retried_there)
{
	struct next_file nf;

	run_failed_takeover(&nf, FIXED_FAILS_REFILLED_EPERM);
	check_foreign_page_survived();
}
