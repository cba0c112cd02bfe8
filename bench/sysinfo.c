/*
 * sysinfo.c — /proc readings, the listener's pid and the flush floor
 * (see sysinfo.h).
 */
#include "sysinfo.h"

#include <ctype.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "hist.h"

int64_t sys_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t sys_rss_kib(pid_t pid)
{
	char path[64], line[256];
	int64_t kib = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "VmRSS:", 6)) {
			kib = strtoll(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

double sys_cpu_s(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces: count fields after its closing ')' */
	if (!(p = strrchr(buf, ')')))
		return -1;
	/* fields 3.. follow; utime is field 14, stime 15 */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

double sys_self_cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

/* The inode of the listening socket on port, or 0. */
static unsigned long listen_inode(int port)
{
	char line[512];
	unsigned long inode = 0;
	FILE *f = fopen("/proc/net/tcp", "r");

	if (!f)
		return 0;
	while (!inode && fgets(line, sizeof line, f)) {
		unsigned int lport, state;
		unsigned long ino;

		if (sscanf(line, " %*d: %*8x:%x %*8x:%*x %x %*x:%*x %*x:%*x %*x %*u %*u %lu",
			   &lport, &state, &ino) == 3 &&
		    (int)lport == port && state == 0x0A)
			inode = ino;
	}
	fclose(f);
	return inode;
}

static int holds_inode(const char *pid, const char *want)
{
	char path[300], link[64];
	struct dirent *e;
	int found = 0;
	DIR *d;

	snprintf(path, sizeof path, "/proc/%.32s/fd", pid);
	if (!(d = opendir(path)))
		return 0;
	while (!found && (e = readdir(d))) {
		char fdpath[600];
		ssize_t n;

		snprintf(fdpath, sizeof fdpath, "%s/%s", path, e->d_name);
		n = readlink(fdpath, link, sizeof link - 1);
		if (n > 0) {
			link[n] = '\0';
			found = !strcmp(link, want);
		}
	}
	closedir(d);
	return found;
}

pid_t sys_find_listener(int port)
{
	unsigned long inode = listen_inode(port);
	char want[48];
	struct dirent *e;
	pid_t pid = -1;
	DIR *d;

	if (!inode || !(d = opendir("/proc")))
		return -1;
	snprintf(want, sizeof want, "socket:[%lu]", inode);
	while (pid < 0 && (e = readdir(d)))
		if (isdigit((unsigned char)e->d_name[0]) && holds_inode(e->d_name, want))
			pid = (pid_t)atoi(e->d_name);
	closedir(d);
	return pid;
}

int sys_fsync_floor(const char *dir, int iters, struct hist *h)
{
	char path[4096], block[4096];
	int fd;

	snprintf(path, sizeof path, "%s/.bench-fsync-%d", dir, (int)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	memset(block, 'x', sizeof block);
	for (int i = 0; i < iters; i++) {
		int64_t t0;

		/* like a WAL: append a page, flush it; wrap at 1 MiB */
		if (pwrite(fd, block, sizeof block, (off_t)(i % 256) * 4096) !=
		    (ssize_t)sizeof block)
			break;
		t0 = sys_now_us();
		if (fdatasync(fd))
			break;
		hist_record(h, sys_now_us() - t0);
	}
	close(fd);
	unlink(path);
	return 0;
}

void sys_fs_type(const char *path, char *out, size_t outlen)
{
	static const struct {
		unsigned long magic;
		const char *name;
	} types[] = {
	    {0xEF53, "ext4"},	   {0x01021994, "tmpfs"},     {0x58465342, "xfs"},
	    {0x9123683E, "btrfs"}, {0x794c7630, "overlayfs"}, {0x2FC12FC1, "zfs"},
	};
	struct statfs sf;

	snprintf(out, outlen, "unknown");
	if (statfs(path, &sf))
		return;
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if ((unsigned long)sf.f_type == types[i].magic) {
			snprintf(out, outlen, "%s", types[i].name);
			return;
		}
	snprintf(out, outlen, "0x%lx", (unsigned long)sf.f_type);
}

int64_t sys_pressure_us(const char *what)
{
	char path[64], line[256];
	long long total = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/pressure/%s", what);
	if (!(f = fopen(path, "r")))
		return -1;
	while (fgets(line, sizeof line, f)) {
		const char *t = strstr(line, "total=");

		if (!strncmp(line, "some ", 5) && t)
			total = strtoll(t + 6, NULL, 10);
	}
	fclose(f);
	return total;
}

double sys_loadavg(void)
{
	double l = -1;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &l) != 1)
			l = -1;
		fclose(f);
	}
	return l;
}
