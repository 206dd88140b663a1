// Package affinity reads and formats the set of CPUs a process may run on,
// in the list syntax shared by the kernel and Docker's --cpuset-cpus.
package affinity

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Parse turns a CPU list such as "0-2,5" into sorted CPU numbers.
func Parse(list string) ([]int, error) {
	seen := map[int]bool{}
	for _, part := range strings.Split(strings.TrimSpace(list), ",") {
		if part == "" {
			return nil, fmt.Errorf("empty element in CPU list %q", list)
		}
		lo, hi, isRange := strings.Cut(part, "-")
		first, err := strconv.Atoi(lo)
		if err != nil || first < 0 {
			return nil, fmt.Errorf("bad CPU %q in list %q", lo, list)
		}
		last := first
		if isRange {
			last, err = strconv.Atoi(hi)
			if err != nil || last < first {
				return nil, fmt.Errorf("bad range %q in list %q", part, list)
			}
		}
		for cpu := first; cpu <= last; cpu++ {
			seen[cpu] = true
		}
	}
	cpus := make([]int, 0, len(seen))
	for cpu := range seen {
		cpus = append(cpus, cpu)
	}
	sort.Ints(cpus)
	return cpus, nil
}

// Format writes sorted CPU numbers as a compact list such as "0-2,5".
func Format(cpus []int) string {
	sorted := append([]int(nil), cpus...)
	sort.Ints(sorted)
	var parts []string
	for i := 0; i < len(sorted); {
		j := i
		for j+1 < len(sorted) && sorted[j+1] <= sorted[j]+1 {
			j++
		}
		if sorted[i] == sorted[j] {
			parts = append(parts, strconv.Itoa(sorted[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", sorted[i], sorted[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ",")
}

// FromStatus extracts the Cpus_allowed_list line of a /proc/PID/status file.
func FromStatus(r io.Reader) ([]int, error) {
	scanner := bufio.NewScanner(r)
	for scanner.Scan() {
		if value, ok := strings.CutPrefix(scanner.Text(), "Cpus_allowed_list:"); ok {
			return Parse(value)
		}
	}
	if err := scanner.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("no Cpus_allowed_list line")
}

// ThrottledPeriods returns how often the kernel has throttled this process's
// cgroup (nr_throttled of cpu.stat, cgroup v2 or v1), and false if unreadable.
func ThrottledPeriods() (int64, bool) {
	for _, path := range []string{"/sys/fs/cgroup/cpu.stat", "/sys/fs/cgroup/cpu,cpuacct/cpu.stat", "/sys/fs/cgroup/cpu/cpu.stat"} {
		data, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		if n, ok := nrThrottled(string(data)); ok {
			return n, true
		}
	}
	return 0, false
}

func nrThrottled(stat string) (int64, bool) {
	for _, line := range strings.Split(stat, "\n") {
		if value, ok := strings.CutPrefix(line, "nr_throttled "); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
			return n, err == nil
		}
	}
	return 0, false
}

// Current returns the CPUs the calling process may run on.
func Current() ([]int, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return FromStatus(f)
}
