package workload

import (
	"math"
	"testing"
)

func TestCPULoop(t *testing.T) {
	tests := []struct {
		iterations int
		want       float64
	}{
		{0, 0},
		{1, 0},
		{2, 0.5},
		{4, 0.5 + 4.0/3 + 9.0/4},
		// The value the Python harness computes too (hex 0x1.d1a8ee92b3ff6p+38).
		{1_000_000, 499998500012.9994},
	}
	for _, tt := range tests {
		if got := CPULoop(tt.iterations); got != tt.want {
			t.Errorf("CPULoop(%d) = %v (%x), want %v", tt.iterations, got, math.Float64bits(got), tt.want)
		}
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name    string
		wantErr bool
	}{
		{"cpu_loop", false},
		{"nope", true},
		{"", true},
	}
	for _, tt := range tests {
		fn, err := Lookup(tt.name)
		if (err != nil) != tt.wantErr {
			t.Errorf("Lookup(%q) error = %v, wantErr %v", tt.name, err, tt.wantErr)
		}
		if !tt.wantErr && fn == nil {
			t.Errorf("Lookup(%q) returned a nil function", tt.name)
		}
	}
}
