// Package workload holds the computations parbench measures, free of any
// timing or scheduling. Each must return the same float64 checksum as its
// Python twin in workloads/python/workloads.py.
package workload

import (
	"fmt"
	"sort"
)

// Func computes a workload for the given iteration count and returns its checksum.
type Func func(iterations int) float64

// CPULoop sums (i*i)/(i+1) in float64 for i = 0 .. iterations-1, in order.
// i*i stays below 2^53 for the sizes parbench uses, so the conversion is
// exact and the division correctly rounded, as in Python.
func CPULoop(iterations int) float64 {
	var total float64
	for i := 0; i < iterations; i++ {
		total += float64(i*i) / float64(i+1)
	}
	return total
}

var registry = map[string]Func{
	"cpu_loop": CPULoop,
}

// Lookup returns the workload called name.
func Lookup(name string) (Func, error) {
	fn, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown workload %q (known: %v)", name, Names())
	}
	return fn, nil
}

// Names lists the known workloads in sorted order.
func Names() []string {
	names := make([]string, 0, len(registry))
	for name := range registry {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}
