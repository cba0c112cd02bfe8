/*
 * sysinfo.h — what the generator reads about the machine and the server
 * under test: the server's resident memory and CPU time from /proc, the
 * pid listening on a port, the disk's own flush latency, and a monotonic
 * clock. Linux only.
 */
#ifndef BENCH_SYSINFO_H
#define BENCH_SYSINFO_H

#include <stdint.h>
#include <sys/types.h>

struct hist;

/* Microseconds of CLOCK_MONOTONIC: the one clock every latency is measured on. */
int64_t sys_now_us(void);

/* VmRSS of pid in KiB, or -1. */
int64_t sys_rss_kib(pid_t pid);
/* utime + stime of pid in seconds, or -1. */
double sys_cpu_s(pid_t pid);
/* This process's own user + system CPU seconds. */
double sys_self_cpu_s(void);

/* The pid of the process holding the IPv4 socket listening on 127.0.0.1:port
 * (or any address), or -1. Reads /proc/net/tcp and every /proc/PID/fd. */
pid_t sys_find_listener(int port);

/*
 * The disk's flush floor: `iters` times write 4 KiB to a scratch file in
 * dir and fdatasync it, recording each fdatasync in µs into h. The file is
 * removed. 0, or -1 if dir is not writable.
 */
int sys_fsync_floor(const char *dir, int iters, struct hist *h);

/* Microseconds some task has waited for the CPU (or for I/O), from
 * /proc/pressure/cpu (io); -1 when the kernel does not say. */
int64_t sys_pressure_us(const char *what);
/* The 1-minute load average, or -1. */
double sys_loadavg(void);

/* The file-system type of path as statfs names it ("ext4", "tmpfs", …), into out. */
void sys_fs_type(const char *path, char *out, size_t outlen);

#endif
