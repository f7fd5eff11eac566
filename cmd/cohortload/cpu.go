package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cpuTimes is the CPU time (user + system) spent so far by the bot, by PostgreSQL (its
// postmaster and children; zero when the server is not the run's own) and by this
// process — the load generator and the fake Discord.
type cpuTimes struct{ bot, postgres, load time.Duration }

func (b *bot) cpu(postmaster int) cpuTimes {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	t := cpuTimes{bot: procCPU(b.cmd.Process.Pid), load: time.Duration(ru.Utime.Nano() + ru.Stime.Nano())}
	if postmaster > 0 {
		// The postmaster's own time and its reaped children's (backends that closed).
		t.postgres = procCPU(postmaster) + reapedCPU(postmaster)
		procs, _ := filepath.Glob("/proc/[0-9]*/stat")
		for _, p := range procs {
			if ppid, cpu, ok := procStat(p); ok && ppid == postmaster {
				t.postgres += cpu
			}
		}
	}
	return t
}

func (t cpuTimes) sub(o cpuTimes) cpuTimes {
	return cpuTimes{bot: t.bot - o.bot, postgres: t.postgres - o.postgres, load: t.load - o.load}
}

func procCPU(pid int) time.Duration {
	_, cpu, _ := procStat("/proc/" + strconv.Itoa(pid) + "/stat")
	return cpu
}

func reapedCPU(pid int) time.Duration {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 15 {
		return 0
	}
	cutime, _ := strconv.ParseInt(f[13], 10, 64)
	cstime, _ := strconv.ParseInt(f[14], 10, 64)
	return time.Duration(cutime+cstime) * time.Second / clockTicks
}

// procStat reads a /proc/<pid>/stat file's parent pid and CPU time (utime + stime).
func procStat(path string) (ppid int, cpu time.Duration, ok bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, 0, false
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // the command name may hold spaces
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, false
	}
	ppid, _ = strconv.Atoi(f[1])
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return ppid, time.Duration(utime+stime) * time.Second / clockTicks, true
}

// clockTicks is USER_HZ, the unit of /proc's CPU times: 100 on every Linux we run on.
const clockTicks = 100
