/* SPDX-License-Identifier: MIT */
/*
 * Copyright © 2026 the sealshm authors
 *
 * sealshm-run: start an unmodified compositor with libsealshm-wl-shm
 * preloaded, so that its wl_shm is sealshm's.  Before the exec it checks
 * whether the compositor (or a library it loads) imports
 * wl_display_init_shm, the one call through which the preloaded library
 * can take over, and warns when nothing does: such a compositor has its
 * own wl_shm and runs unprotected.
 */

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIBRARY_NAME "libsealshm-wl-shm.so.0"
#define HOOK "wl_display_init_shm"
#define TRACE_TIMEOUT_MS 10000
#define TRACE_MAX_OUTPUT (1 << 20)

static const char usage[] =
	"Usage: sealshm-run [OPTION...] [--] COMPOSITOR [ARGS...]\n"
	"Run COMPOSITOR with libsealshm-wl-shm preloaded, so that the wl_shm\n"
	"it creates with libwayland-server is sealshm's.\n"
	"\n"
	"  --policy strict|seal|copy  pool files to accept (sets SEALSHM_POLICY;\n"
	"                             the library's default is copy)\n"
	"  --log error|info|debug     what the library logs (sets SEALSHM_LOG;\n"
	"                             the library's default is info)\n"
	"  --help                     show this help and exit\n"
	"  --version                  show the version and exit\n"
	"  --                         end of options; COMPOSITOR follows\n"
	"\n"
	"Exit status: that of COMPOSITOR; 1 when the library is missing, 2 on a\n"
	"bad command line, 126 or 127 when COMPOSITOR cannot be run.\n";

static const char *const policies[] = { "strict", "seal", "copy", NULL };
static const char *const log_levels[] = { "error", "info", "debug", NULL };

/* The result of looking for an import of HOOK in one file. */
enum elf_result {
	ELF_IMPORTS,
	ELF_NO_IMPORT,
	ELF_NOT_ELF,
	ELF_STATIC,
	ELF_BROKEN,
};

static bool
in_list(const char *value, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(value, *list) == 0)
			return true;
	}
	return false;
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *format, ...)
{
	va_list args;

	fputs("sealshm-run: ", stderr);
	va_start(args, format);
	vfprintf(stderr, format, args);
	va_end(args);
	fputs("\nTry 'sealshm-run --help'.\n", stderr);
	exit(2);
}

static bool
read_at(int fd, void *buf, size_t len, uint64_t offset)
{
	char *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
		offset += (uint64_t)n;
	}
	return true;
}

/* Reads COUNT entries of SIZE bytes at OFFSET, none past the file's end. */
static void *
read_table(int fd, uint64_t file_size, uint64_t offset, uint64_t count,
	   uint64_t size)
{
	void *table;

	if (size == 0 || count > file_size / size ||
	    offset > file_size - count * size)
		return NULL;
	table = malloc(count * size + 1);
	if (table && !read_at(fd, table, count * size, offset)) {
		free(table);
		return NULL;
	}
	return table;
}

/*
 * MEMBER of the ELF structure TYPE (Ehdr, Phdr, Shdr, Sym) at RAW, read in
 * the file's class and widened, so that one piece of code reads both.
 */
#define FIELD(is64, raw, type, member)                                         \
	((is64) ? uint_at((raw) + offsetof(Elf64_##type, member),              \
			  sizeof(((Elf64_##type *)0)->member))                 \
		: uint_at((raw) + offsetof(Elf32_##type, member),              \
			  sizeof(((Elf32_##type *)0)->member)))

/* An unsigned member of 2, 4 or 8 bytes, in the host's byte order. */
static uint64_t
uint_at(const char *raw, size_t size)
{
	uint16_t u16;
	uint32_t u32;
	uint64_t u64;

	switch (size) {
	case 2:
		memcpy(&u16, raw, size);
		return u16;
	case 4:
		memcpy(&u32, raw, size);
		return u32;
	default:
		memcpy(&u64, raw, sizeof(u64));
		return u64;
	}
}

/*
 * Whether PATH has HOOK as an undefined symbol of its .dynsym.  With
 * IS_DYNAMIC, first checks that it names a program interpreter: only then
 * is it safe to run it with LD_TRACE_LOADED_OBJECTS (a static program
 * would simply run).
 */
static enum elf_result
inspect_elf(const char *path, bool *is_dynamic)
{
	char eh[sizeof(Elf64_Ehdr)], *phdrs = NULL, *shdrs = NULL;
	char *dynsym, *strtab, *syms = NULL, *strs = NULL;
	uint64_t i, size, n, entsize, link, str_size;
	enum elf_result result = ELF_NOT_ELF;
	struct stat st;
	bool is64;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return ELF_BROKEN;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !read_at(fd, eh, EI_NIDENT, 0) || memcmp(eh, ELFMAG, SELFMAG) ||
	    (eh[EI_CLASS] != ELFCLASS64 && eh[EI_CLASS] != ELFCLASS32) ||
	    eh[EI_DATA] !=
		    (BYTE_ORDER == LITTLE_ENDIAN ? ELFDATA2LSB : ELFDATA2MSB))
		goto out;
	is64 = eh[EI_CLASS] == ELFCLASS64;
	size = (uint64_t)st.st_size;
	result = ELF_BROKEN;
	if (!read_at(fd, eh, is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr), 0))
		goto out;

	if (is_dynamic) {
		n = FIELD(is64, eh, Ehdr, e_phnum);
		entsize = FIELD(is64, eh, Ehdr, e_phentsize);
		phdrs = read_table(fd, size, FIELD(is64, eh, Ehdr, e_phoff), n,
				   entsize);
		if (!phdrs ||
		    entsize < (is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
			goto out;
		*is_dynamic = false;
		for (i = 0; i < n; i++) {
			if (FIELD(is64, phdrs + i * entsize, Phdr, p_type) ==
			    PT_INTERP)
				*is_dynamic = true;
		}
		result = ELF_STATIC;
		if (!*is_dynamic)
			goto out;
	}

	/* The section headers: .dynsym and the string table it links to. */
	n = FIELD(is64, eh, Ehdr, e_shnum);
	entsize = FIELD(is64, eh, Ehdr, e_shentsize);
	shdrs = read_table(fd, size, FIELD(is64, eh, Ehdr, e_shoff), n,
			   entsize);
	result = ELF_BROKEN;
	if (!shdrs || n == 0 ||
	    entsize < (is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr)))
		goto out;
	result = ELF_NO_IMPORT;
	for (i = 0, dynsym = NULL; i < n && !dynsym; i++) {
		if (FIELD(is64, shdrs + i * entsize, Shdr, sh_type) ==
		    SHT_DYNSYM)
			dynsym = shdrs + i * entsize;
	}
	if (!dynsym)
		goto out;
	result = ELF_BROKEN;
	link = FIELD(is64, dynsym, Shdr, sh_link);
	if (link >= n)
		goto out;
	strtab = shdrs + link * entsize;
	str_size = FIELD(is64, strtab, Shdr, sh_size);
	strs = read_table(fd, size, FIELD(is64, strtab, Shdr, sh_offset),
			  str_size, 1);
	entsize = FIELD(is64, dynsym, Shdr, sh_entsize);
	if (!strs || entsize < (is64 ? sizeof(Elf64_Sym) : sizeof(Elf32_Sym)))
		goto out;
	strs[str_size] = '\0';
	n = FIELD(is64, dynsym, Shdr, sh_size) / entsize;
	syms = read_table(fd, size, FIELD(is64, dynsym, Shdr, sh_offset), n,
			  entsize);
	if (!syms)
		goto out;

	result = ELF_NO_IMPORT;
	for (i = 0; i < n && result != ELF_IMPORTS; i++) {
		uint64_t name = FIELD(is64, syms + i * entsize, Sym, st_name);

		if (FIELD(is64, syms + i * entsize, Sym, st_shndx) ==
			    SHN_UNDEF &&
		    name < str_size && strcmp(strs + name, HOOK) == 0)
			result = ELF_IMPORTS;
	}
out:
	free(phdrs);
	free(shdrs);
	free(syms);
	free(strs);
	close(fd);
	return result;
}

/*
 * What ldd does: runs PROGRAM with LD_TRACE_LOADED_OBJECTS=1, so that the
 * dynamic loader prints the objects it would load and exits before main.
 * Returns the output, NUL-terminated, or NULL.
 */
static char *
trace_libraries(const char *program)
{
	char *out = malloc(TRACE_MAX_OUTPUT + 1);
	struct pollfd pfd = { .events = POLLIN };
	int pipefd[2];
	size_t len = 0;
	ssize_t n = 1;
	pid_t pid;

	if (!out || pipe2(pipefd, O_CLOEXEC) < 0) {
		free(out);
		return NULL;
	}
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);

		if (null < 0 || dup2(null, STDIN_FILENO) < 0 ||
		    dup2(pipefd[1], STDOUT_FILENO) < 0 ||
		    dup2(null, STDERR_FILENO) < 0 ||
		    setenv("LD_TRACE_LOADED_OBJECTS", "1", 1) < 0)
			_exit(127);
		execl(program, program, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	/* Until end of file; a loader silent for that long is stuck. */
	pfd.fd = pipefd[0];
	while (pid > 0 && n != 0 && len < TRACE_MAX_OUTPUT) {
		if (poll(&pfd, 1, TRACE_TIMEOUT_MS) <= 0)
			break;
		n = read(pipefd[0], out + len, TRACE_MAX_OUTPUT - len);
		if (n < 0)
			break;
		len += (size_t)n;
	}
	close(pipefd[0]);
	if (pid > 0 && n != 0) {
		kill(pid, SIGKILL);
		len = 0;
	}
	if (pid < 0 || waitpid(pid, NULL, 0) < 0 || len == 0) {
		free(out);
		return NULL;
	}
	out[len] = '\0';
	return out;
}

/*
 * Whether an object PROGRAM loads imports HOOK: PROGRAM itself, or one of
 * the libraries in the loader's trace ("name => /path (0x...)", or
 * "/path (0x...)" for the loader itself).  Returns the first that does,
 * NULL when none does, or NULL with *WHY when PROGRAM cannot be checked.
 */
static char *
find_importer(const char *program, const char **why)
{
	char *trace, *line, *next, *found = NULL;
	bool is_dynamic;

	switch (inspect_elf(program, &is_dynamic)) {
	case ELF_IMPORTS:
		return strdup(program);
	case ELF_NOT_ELF:
		*why = "it is not an ELF program (a script?)";
		return NULL;
	case ELF_STATIC:
		*why = "it is statically linked, so nothing can be preloaded "
		       "into it";
		return NULL;
	case ELF_BROKEN:
		*why = "its ELF headers could not be read";
		return NULL;
	case ELF_NO_IMPORT:
		break;
	}
	trace = trace_libraries(program);
	if (!trace) {
		*why = "the dynamic loader could not list its libraries";
		return NULL;
	}
	for (line = trace; line && !found; line = next) {
		char *path, *end;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		path = strstr(line, "=> ");
		path = path ? path + 3 : line + strspn(line, " \t");
		end = strstr(path, " (0x");
		if (path[0] != '/' || !end)
			continue;
		*end = '\0';
		if (inspect_elf(path, NULL) == ELF_IMPORTS)
			found = strdup(path);
	}
	free(trace);
	return found;
}

static char *
executable_or_null(char *path)
{
	struct stat st;

	if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0)
		return path;
	free(path);
	return NULL;
}

/* The file execvp would run for COMMAND, or NULL when there is none. */
static char *
resolve_command(const char *command)
{
	const char *dirs = getenv("PATH");
	char *path;

	if (strchr(command, '/'))
		return executable_or_null(strdup(command));
	for (dirs = dirs ? dirs : "/bin:/usr/bin"; *dirs; dirs++) {
		int n = (int)strcspn(dirs, ":");

		if (asprintf(&path, "%.*s%s%s", n, dirs, n ? "/" : "",
			     command) < 0)
			return NULL;
		path = executable_or_null(path);
		if (path || !dirs[n])
			return path;
		dirs += n;
	}
	return NULL;
}

/* The library next to this executable (a build tree), or the installed. */
static char *
find_library(void)
{
	char self[PATH_MAX], *slash, *path;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
		if (slash && asprintf(&path, "%.*s/%s", (int)(slash - self),
				      self, LIBRARY_NAME) >= 0) {
			if (access(path, R_OK) == 0)
				return path;
			free(path);
		}
	}
	if (access(SEALSHM_WL_SHM_INSTALLED, R_OK) == 0)
		return strdup(SEALSHM_WL_SHM_INSTALLED);
	return NULL;
}

int
main(int argc, char *argv[])
{
	const char *policy = NULL, *log = NULL, *why = NULL;
	const char *level, *old_preload = getenv("LD_PRELOAD");
	char *library, *program, *importer, *preload;
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *arg = argv[i], **target;

		if (strcmp(arg, "--") == 0) {
			i++;
			break;
		} else if (strcmp(arg, "--help") == 0) {
			fputs(usage, stdout);
			return 0;
		} else if (strcmp(arg, "--version") == 0) {
			printf("sealshm-run %s\n", SEALSHM_VERSION);
			return 0;
		} else if (strcmp(arg, "--policy") == 0) {
			target = &policy;
		} else if (strcmp(arg, "--log") == 0) {
			target = &log;
		} else {
			usage_error("unknown option '%s'", arg);
		}
		if (i + 1 == argc)
			usage_error("option '%s' needs a value", arg);
		*target = argv[++i];
	}
	if (policy && !in_list(policy, policies))
		usage_error("--policy '%s' is not valid; use strict, seal or "
			    "copy",
			    policy);
	if (log && !in_list(log, log_levels))
		usage_error("--log '%s' is not valid; use error, info or debug",
			    log);
	if (i == argc)
		usage_error("no compositor to run");

	library = find_library();
	if (!library) {
		fprintf(stderr,
			"sealshm-run: %s is neither next to sealshm-run "
			"nor at %s\n",
			LIBRARY_NAME, SEALSHM_WL_SHM_INSTALLED);
		return 1;
	}
	if (strpbrk(library, ": \t\n")) {
		fprintf(stderr,
			"sealshm-run: %s cannot be preloaded: its path "
			"has a colon or a space\n",
			library);
		return 1;
	}

	level = log ? log : getenv("SEALSHM_LOG");
	program = resolve_command(argv[i]);
	importer = program ? find_importer(program, &why) : NULL;
	if (program && why)
		fprintf(stderr,
			"sealshm-run: warning: could not check whether "
			"%s uses libwayland's wl_shm: %s\n",
			program, why);
	else if (program && !importer)
		fprintf(stderr,
			"sealshm-run: warning: %s does not use libwayland's "
			"wl_shm: nothing it loads imports %s (compositors on "
			"wlroots >= 0.17, KWin 6 and Smithay have their own "
			"wl_shm), so sealshm cannot protect it\n",
			program, HOOK);
	else if (importer && level && strcmp(level, "debug") == 0)
		fprintf(stderr, "sealshm-run: %s imports %s: preloading %s\n",
			importer, HOOK, library);

	if ((old_preload && *old_preload
		     ? asprintf(&preload, "%s:%s", old_preload, library)
		     : asprintf(&preload, "%s", library)) < 0 ||
	    setenv("LD_PRELOAD", preload, 1) < 0 ||
	    (policy && setenv("SEALSHM_POLICY", policy, 1) < 0) ||
	    (log && setenv("SEALSHM_LOG", log, 1) < 0)) {
		perror("sealshm-run");
		return 1;
	}
	free(preload);
	free(library);
	free(program);
	free(importer);
	execvp(argv[i], argv + i);
	fprintf(stderr, "sealshm-run: cannot run %s: %s\n", argv[i],
		strerror(errno));
	return errno == ENOENT || errno == ENOTDIR ? 127 : 126;
}
