package cli

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"parbench/workload"
)

// The test binary registers two user workloads, as a twin's generated main does.
func init() {
	sumsq := func(p map[string]int, index, workers int, state any) float64 {
		n, offset := p["n"], state.(int)
		var total float64
		for i := index * n / workers; i < (index+1)*n/workers; i++ {
			total += float64(i*i + offset)
		}
		return total
	}
	panics := func(p map[string]int, index, _ int, _ any) float64 {
		if index == p["bad"] {
			panic("worker " + strings.Repeat("x", index) + " gave up")
		}
		return 1
	}
	for _, w := range []workload.Workload{
		workload.User("test_sumsq", func(p map[string]int, _ int) any { return p["offset"] }, sumsq),
		workload.User("test_panics", nil, panics),
	} {
		if err := workload.Register(w); err != nil {
			panic(err)
		}
	}
}

func TestUserWorkloadRunsThroughTheCommand(t *testing.T) {
	tests := []struct {
		args   string
		params string
		want   float64
	}{
		// 0² + … + 999² = 332833500, plus offset 2 for each of the 1000 terms.
		{"-workload test_sumsq -mode goroutines -workers 3 -param n=1000 -param offset=2", "map[n:1000 offset:2]", 332835500},
		{"-workload test_sumsq -mode sequential -param n=1000 -param offset=0 -loops 3", "map[n:1000 offset:0]", 332833500},
		{"-workload test_sumsq -mode goroutines -workers 2 -param n=10 -param offset=0 -param unused=-7", "map[n:10 offset:0 unused:-7]", 285},
	}
	for _, tt := range tests {
		got := records(t, tt.args)
		if len(got) != 1 {
			t.Fatalf("%s: %d records, want 1", tt.args, len(got))
		}
		if r := got[0]; r.Checksum != tt.want || r.Workload != "test_sumsq" || fmt.Sprint(r.Params) != tt.params {
			t.Errorf("%s: checksum %v, workload %s, params %v; want %v, test_sumsq, %s", tt.args, r.Checksum, r.Workload, r.Params, tt.want, tt.params)
		}
	}
}

func TestUserWorkloadErrorsAreOneLine(t *testing.T) {
	tests := []struct {
		args string
		code int
		line string
	}{
		{"-workload test_panics -mode goroutines -workers 3 -param bad=2", 1,
			"parbench-go: error: workload test_panics: task panicked: worker xx gave up\n"},
		{"-workload test_panics -mode sequential -param bad=0", 1,
			"parbench-go: error: workload test_panics: task panicked: worker gave up\n"},
		{"-workload test_sumsq -mode goroutines -param n=x", 2,
			"parbench-go: error: invalid value \"n=x\" for flag -param: n: \"x\" is not a whole number\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := Main(strings.Fields(tt.args), &stdout, &stderr)
		if code != tt.code || stderr.String() != tt.line || stdout.Len() > 0 {
			t.Errorf("%s: exit %d, stderr %q, stdout %q; want exit %d, stderr %q and no records",
				tt.args, code, stderr.String(), stdout.String(), tt.code, tt.line)
		}
	}
}
