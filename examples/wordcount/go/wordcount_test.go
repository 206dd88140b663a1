package wordcount

import "testing"

// The checksums workload.py gives for these inputs (its expected()), so the
// twins are held to the same answer without running Python here.
func TestTasksSumToThePythonChecksum(t *testing.T) {
	cases := []struct {
		params  map[string]int
		workers int
		want    float64
	}{
		{params: map[string]int{"lines": 20000}, workers: 1, want: 6175039},
		{params: map[string]int{"lines": 20000}, workers: 3, want: 6175039},
		{params: map[string]int{"lines": 7}, workers: 4, want: 2110},
		{params: map[string]int{}, workers: 2, want: 12349841}, // the default, 40000 lines
	}
	for _, c := range cases {
		params := c.params
		state := Setup(params, c.workers)
		total := 0.0
		for index := 0; index < c.workers; index++ {
			total += Task(params, index, c.workers, state)
		}
		if total != c.want {
			t.Errorf("params %v, workers %d: checksum %v, want %v", params, c.workers, total, c.want)
		}
	}
}
